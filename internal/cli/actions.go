package cli

import "github.com/ipcats/ipcats/internal/ipcname"

// Actions are the mutually exclusive actions of the tools that name one
// object (shmcat, mqcat, fifocat, mmapcat), with SPEC's combination rules.
// A tool words them for its objects through Helper, never by declaring
// its own.
type Actions struct {
	Read  bool `short:"r" long:"read" description:"Copy the object to standard output (the default action)"`
	Write bool `short:"w" long:"write" description:"Copy standard input into the object"`
	Stat  bool `long:"stat" description:"Print the object's attributes and exit"`
	List  bool `long:"list" description:"List every live object of this kind, marking stale ones"`
	Rm    bool `long:"rm" description:"Remove the object; with -r or -w, after a successful transfer"`
	NS    NS   `long:"ns" value-name:"PID" description:"With --list, --stat or --rm, look inside the namespaces of process PID (a container)"`
}

// Sweeping is --stale and --dry-run, for the tools whose objects can be
// stale (not mmapcat's files), embedded beside Actions.
type Sweeping struct {
	Stale  bool `long:"stale" description:"With --rm, remove every stale object; with --list, list only those"`
	DryRun bool `long:"dry-run" description:"With --rm --stale, print what would be removed and remove nothing"`
}

// Action is what one run does.
type Action int

const (
	ActRead Action = iota
	ActWrite
	ActStat
	ActList
	ActRemove      // --rm alone
	ActRemoveStale // --rm --stale
)

// Resolve checks the combination and returns the action. RmAfter tells
// whether --rm rides along with -r or -w.
func (a *Actions) Resolve(s Sweeping) (act Action, rmAfter bool, err error) {
	if err := OneOf("-r", a.Read, "-w", a.Write, "--stat", a.Stat, "--list", a.List); err != nil {
		return 0, false, err
	}
	if err := OneOf("--rm", a.Rm, "--stat", a.Stat, "--list", a.List); err != nil {
		return 0, false, err
	}
	switch {
	case s.Stale && !a.Rm && !a.List:
		return 0, false, Usagef("--stale goes with --rm or --list")
	case s.DryRun && !(a.Rm && s.Stale):
		return 0, false, Usagef("--dry-run goes with --rm --stale")
	case s.Stale && (a.Read || a.Write):
		return 0, false, Usagef("--rm --stale removes every stale object; it takes no -r or -w")
	case a.Rm && s.Stale:
		return ActRemoveStale, false, nil
	case a.List:
		return ActList, false, nil
	case a.Stat:
		return ActStat, false, nil
	case a.Write:
		return ActWrite, a.Rm, nil
	case a.Read:
		return ActRead, a.Rm, nil
	case a.Rm:
		return ActRemove, false, nil
	}
	return ActRead, false, nil
}

// NeedsObject reports whether the action names one object.
func (act Action) NeedsObject() bool { return act != ActList && act != ActRemoveStale }

// Object checks the positional object argument against the action: those
// that name one object need it, --list and --rm --stale take none.
func (act Action) Object(arg, form string) error {
	switch {
	case act.NeedsObject() && arg == "":
		return Usagef("missing %s", form)
	case !act.NeedsObject() && arg != "":
		return Usagef("%q: --list and --rm --stale take no object", arg)
	}
	return nil
}

// Object is the options struct of a tool with named objects of its own
// (mqcat, shmcat): SPEC section 1's options, whole. A tool embeds it and
// words what it must through Helper.
type Object struct {
	Common
	Actions
	Sweeping
	Creation
	Wait
	Idle
	Mode ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of a created object (default 0600)"`
}

// Creation holds the creation options of SPEC section 1.
type Creation struct {
	Create bool `short:"c" long:"create" description:"With -r, create the object if it is absent"`
	Excl   bool `short:"x" long:"excl" description:"With -w, fail if the object already exists"`
}

// Begin checks, in one order, what every object tool checks before it
// acts: the object argument against the action (form describes it for
// the message; "" when the tool checks its own), no argument left over,
// and no closed standard descriptor that the action uses (NeedFor): a
// closed stdin would make -w an empty object, a closed stdout would make
// -r --rm destroy one unread.
func (e *Env) Begin(act Action, arg, form string) error {
	if form != "" {
		if err := act.Object(arg, form); err != nil {
			return err
		}
	}
	if len(e.Args) > 0 {
		return Usagef("unexpected argument %q", e.Args[0])
	}
	return e.NeedFor(act)
}

// Start is what an object tool gives the start every one of them makes.
type Start struct {
	Actions  *Actions
	Sweeping *Sweeping // nil for a tool without stale objects
	// Rides: options only a read takes were given, so that a lone --rm
	// means -r --rm (shmcat -f --rm KEY reads, then removes).
	Rides bool
	Check func(Action) error // the tool's own flag rules; may be nil
	// Arg and Form go to Begin: the object argument and what it is
	// ("" when the tool checks its own argument).
	Arg, Form         string
	List, RemoveStale func() error // the actions that need no object
}

// Start resolves the action, applies the tool's flag rules and Begin in
// one order, and carries out --list and --rm --stale. done says that the
// run is over, err being its result; otherwise act names one object and
// rmAfter tells whether --rm rides along (see RemoveAfter).
func (e *Env) Start(s Start) (act Action, rmAfter, done bool, err error) {
	var sw Sweeping
	if s.Sweeping != nil {
		sw = *s.Sweeping
	}
	if act, rmAfter, err = s.Actions.Resolve(sw); err != nil {
		return act, false, true, err
	}
	if act == ActRemove && s.Rides {
		act, rmAfter = ActRead, true
	}
	if err := s.Actions.NS.Check(act); err != nil {
		return act, false, true, err
	}
	if s.Check != nil {
		if err := s.Check(act); err != nil {
			return act, false, true, err
		}
	}
	if err := e.Begin(act, s.Arg, s.Form); err != nil {
		return act, false, true, err
	}
	switch act {
	case ActList:
		return act, false, true, s.List()
	case ActRemoveStale:
		return act, false, true, s.RemoveStale()
	}
	return act, rmAfter, false, nil
}
