package report

import (
	"bytes"
	"testing"
	"time"
)

func TestStatJSON(t *testing.T) {
	when := time.Date(2026, 11, 23, 19, 30, 0, 0, time.UTC)
	r := Record{
		{Name: "key", Value: uint32(7777), Text: "0x00001e61"},
		{Name: "mode", Value: uint32(0o600), Text: "0600"},
		{Name: "changed", Value: when},
		{Name: "detached", Value: time.Time{}},
		{Name: "holders", Value: []Record{{{Name: "pid", Value: 12}}}},
		Payload([]byte("hi")),
		Payload([]byte{0xff, 0}),
	}
	var b bytes.Buffer
	if err := Stat(&b, true, r); err != nil {
		t.Fatal(err)
	}
	want := `{
  "key": 7777,
  "mode": 384,
  "changed": "2026-11-23T19:30:00Z",
  "detached": null,
  "holders": [
    {
      "pid": 12
    }
  ],
  "data": "hi",
  "data_b64": "/wA="
}
`
	if b.String() != want {
		t.Errorf("Stat JSON = %s; want %s", b.String(), want)
	}
	b.Reset()
	Stat(&b, false, r[:2])
	if want := "key   0x00001e61\nmode  0600\n"; b.String() != want {
		t.Errorf("Stat text = %q; want %q", b.String(), want)
	}
}

func TestList(t *testing.T) {
	rows := []Record{{{Name: "name", Value: "/a"}, {Name: "size", Value: 5}}, {{Name: "name", Value: "/bb"}}}
	var b bytes.Buffer
	List(&b, false, []string{"name", "size"}, rows)
	if want := "NAME  SIZE\n/a    5\n/bb   -\n"; b.String() != want {
		t.Errorf("List text = %q; want %q", b.String(), want)
	}
	b.Reset()
	List(&b, true, []string{"name"}, nil)
	if b.String() != "[]\n" {
		t.Errorf("List JSON of nothing = %q; want []", b.String())
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"/jobs": "/jobs", "/a\nb": `/a\nb`, "/\x1b[31mred": `/\x1b[31mred`, `/a\b`: `/a\\b`,
		"/tab\t": `/tab\t`, "/\xff": `/\xff`, "/grüße": "/grüße", "/\u0085": `/\xc2\x85`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q; want %q", in, got, want)
		}
	}
}
