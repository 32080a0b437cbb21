// Package sockdiag asks the kernel for the sockets of this network
// namespace through netlink's NETLINK_SOCK_DIAG, as ss(8) does: Unix
// sockets with their names, peers, queues and owners (unix_diag), TCP and
// UDP sockets of both families with their addresses, states, queues and
// owners (inet_diag). The messages are built and read here, over a plain
// netlink socket.
package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Socket is one socket as the kernel describes it.
type Socket struct {
	Proto  string // tcp, tcp6, udp, udp6, unix, unixgram, unixpacket
	State  string // LISTEN, ESTABLISHED, ...; UNCONN for an unconnected socket
	Local  string // "127.0.0.1:22", "[::1]:22", a Unix path or @name; "" when unnamed
	Remote string // the peer's address; "" when there is none
	UID    int    // owner; -1 when the kernel does not say (Unix before Linux 5.3)
	Inode  uint64
	Peer   uint64 // a Unix socket's other end (its inode), 0 when unconnected
	// FileIno is the inode of a Unix socket's file (bound to a path), 0
	// for none: what tells two sockets bound to the same relative name
	// in different directories apart.
	FileIno uint64
	// RecvQ and SendQ are the bytes queued each way; for a listener, the
	// connections waiting for accept(2) and the backlog, as ss shows them.
	RecvQ, SendQ uint32
}

// Listening reports whether the socket is a listener.
func (s Socket) Listening() bool { return s.State == "LISTEN" }

// Netlink message types, attributes and request flags of
// linux/sock_diag.h, linux/unix_diag.h and linux/inet_diag.h.
const (
	udiagShowName  = 1 << 0
	udiagShowVFS   = 1 << 1
	udiagShowPeer  = 1 << 2
	udiagShowRQLen = 1 << 4
	udiagShowUID   = 1 << 6

	unixDiagName  = 0
	unixDiagVFS   = 1
	unixDiagPeer  = 2
	unixDiagRQLen = 4
	unixDiagUID   = 7

	unixDiagMsgLen = 16 // family, type, state, pad, ino, cookie[2]
	inetDiagMsgLen = 72 // family, state, timer, retrans, sockid (48), expires, rqueue, wqueue, uid, inode
)

// tcpStates are the kernel's TCP states (include/net/tcp_states.h), which
// the other protocols reuse.
var tcpStates = [...]string{1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
	5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
	11: "CLOSING", 12: "NEW_SYN_RECV"}

const (
	stateEstablished = 1
	stateTimeWait    = 6
	stateListen      = 10
	stateNewSynRecv  = 12
)

// Unix lists the Unix sockets of every type, named or not.
func Unix() ([]Socket, error) {
	req := make([]byte, 24) // unix_diag_req
	req[0] = unix.AF_UNIX
	ne.PutUint32(req[4:], ^uint32(0)) // every state
	ne.PutUint32(req[12:], udiagShowName|udiagShowVFS|udiagShowPeer|udiagShowRQLen|udiagShowUID)
	var out []Socket
	err := dump(req, func(m []byte) error {
		s, err := parseUnix(m)
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	return out, err
}

// Inet lists the sockets of protocol (unix.IPPROTO_TCP or IPPROTO_UDP) and
// family (unix.AF_INET or AF_INET6), but for TCP's TIME_WAIT leftovers and
// its requests not yet sockets.
func Inet(protocol, family int) ([]Socket, error) {
	req := make([]byte, 56) // inet_diag_req_v2
	req[0], req[1] = byte(family), byte(protocol)
	states := ^uint32(0)
	if protocol == unix.IPPROTO_TCP {
		states &^= 1<<stateTimeWait | 1<<stateNewSynRecv
	}
	ne.PutUint32(req[4:], states)
	var out []Socket
	err := dump(req, func(m []byte) error {
		s, err := parseInet(m, protocol)
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	return out, err
}

// ne is the byte order of netlink's fixed fields: the host's.
var ne = binary.NativeEndian

// errShort is a message shorter than its header says.
var errShort = errors.New("sock_diag: short message")

// dump sends one SOCK_DIAG_BY_FAMILY dump request and calls fn with the
// payload of each answer until the kernel says it is done.
func dump(req []byte, fn func([]byte) error) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	msg := make([]byte, unix.SizeofNlMsghdr+len(req))
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(msg[8:], 1) // sequence number
	copy(msg[unix.SizeofNlMsghdr:], req)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("sendto", err)
	}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("recvfrom", err)
		}
		done, err := answers(buf[:n], fn)
		if done || err != nil {
			return err
		}
	}
}

// answers walks the netlink messages of one datagram; done is the end of
// the dump (NLMSG_DONE, or an error the kernel returned).
func answers(b []byte, fn func([]byte) error) (done bool, err error) {
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(ne.Uint32(b))
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return true, errShort
		}
		payload := b[unix.SizeofNlMsghdr:l]
		switch ne.Uint16(b[4:]) {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			if len(payload) < 4 {
				return true, errShort
			}
			if e := int32(ne.Uint32(payload)); e != 0 {
				return true, os.NewSyscallError("sock_diag", unix.Errno(-e))
			}
			return true, nil
		case unix.SOCK_DIAG_BY_FAMILY:
			if err := fn(payload); err != nil {
				return true, err
			}
		}
		b = b[min(len(b), (l+3)&^3):] // NLMSG_ALIGN
	}
	return false, nil
}

// attrs calls fn with the type and payload of each rtattr in b.
func attrs(b []byte, fn func(typ uint16, v []byte)) {
	for len(b) >= 4 {
		l := int(ne.Uint16(b))
		if l < 4 || l > len(b) {
			return
		}
		fn(ne.Uint16(b[2:]), b[4:l])
		b = b[min(len(b), (l+3)&^3):] // RTA_ALIGN
	}
}

// parseUnix reads one unix_diag_msg and its attributes.
func parseUnix(m []byte) (Socket, error) {
	if len(m) < unixDiagMsgLen {
		return Socket{}, errShort
	}
	s := Socket{Proto: "unix", UID: -1, Inode: uint64(ne.Uint32(m[4:]))}
	switch m[1] {
	case unix.SOCK_DGRAM:
		s.Proto = "unixgram"
	case unix.SOCK_SEQPACKET:
		s.Proto = "unixpacket"
	}
	s.State = state(m[2], "UNCONN")
	attrs(m[unixDiagMsgLen:], func(typ uint16, v []byte) {
		switch {
		case typ == unixDiagName:
			s.Local = unixName(v)
		case typ == unixDiagVFS && len(v) >= 8: // unix_diag_vfs: ino, dev
			s.FileIno = uint64(ne.Uint32(v))
		case typ == unixDiagPeer && len(v) >= 4:
			s.Peer = uint64(ne.Uint32(v))
		case typ == unixDiagRQLen && len(v) >= 8:
			s.RecvQ, s.SendQ = ne.Uint32(v), ne.Uint32(v[4:])
		case typ == unixDiagUID && len(v) >= 4:
			s.UID = int(ne.Uint32(v))
		}
	})
	return s, nil
}

// unixName is a sun_path as the kernel gives it: a path, or an abstract
// name (a leading NUL) as "@name", the way /proc/net/unix prints it.
func unixName(v []byte) string {
	if len(v) > 0 && v[0] == 0 {
		return "@" + string(v[1:])
	}
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// state names a kernel socket state; a closed socket is other (UNCONN).
func state(st byte, other string) string {
	if int(st) < len(tcpStates) && tcpStates[st] != "" && st != 7 {
		return tcpStates[st]
	}
	if st == 7 {
		return other
	}
	return fmt.Sprintf("state %d", st)
}
