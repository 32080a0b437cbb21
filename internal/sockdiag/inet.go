package sockdiag

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// parseInet reads one inet_diag_msg:
//
//	family state timer retrans | sport dport src[16] dst[16] if cookie[2] | expires rqueue wqueue uid inode
func parseInet(m []byte, protocol int) (Socket, error) {
	if len(m) < inetDiagMsgLen {
		return Socket{}, errShort
	}
	v6 := m[0] == unix.AF_INET6
	s := Socket{Proto: "tcp"}
	other := "CLOSE"
	if protocol == unix.IPPROTO_UDP {
		s.Proto, other = "udp", "UNCONN"
	}
	if v6 {
		s.Proto += "6"
	}
	s.State = state(m[1], other)
	if protocol == unix.IPPROTO_UDP && m[1] != stateEstablished {
		s.State = "UNCONN" // as ss and /proc/net/udp tell it
	}
	id := m[4:52]
	s.Local = endpoint(id[4:20], binary.BigEndian.Uint16(id[0:]), v6)
	s.Remote = endpoint(id[20:36], binary.BigEndian.Uint16(id[2:]), v6)
	if r, err := netip.ParseAddrPort(s.Remote); err == nil && r.Addr().IsUnspecified() && r.Port() == 0 {
		s.Remote = ""
	}
	s.RecvQ, s.SendQ = ne.Uint32(m[56:]), ne.Uint32(m[60:])
	s.UID, s.Inode = int(ne.Uint32(m[64:])), uint64(ne.Uint32(m[68:]))
	return s, nil
}

// endpoint is "addr:port" ("[v6]:port"); a v4-mapped v6 address reads as
// the v4 one, as /proc/net's parser gives it.
func endpoint(b []byte, port uint16, v6 bool) string {
	var ip netip.Addr
	if v6 {
		ip = netip.AddrFrom16([16]byte(b))
	} else {
		ip = netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrPortFrom(ip.Unmap(), port).String()
}
