package report

// Owner is the permissions and owner of an object as every --stat and
// --list record words them: mode (0600), owner and group by name where
// /etc/passwd and /etc/group know them, then uid and gid as numbers.
func Owner(mode, uid, gid uint32) Record {
	return Record{
		{Name: "mode", Value: Mode(mode)},
		{Name: "owner", Value: User(uid)},
		{Name: "group", Value: Group(gid)},
		{Name: "uid", Value: uid},
		{Name: "gid", Value: gid},
	}
}
