package ledger

import "testing"

func TestZZMutations(t *testing.T) {
	lines := fixtureLines(t)
	repl := []byte{'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\t', 0, 0x7f, 0x80, 0xff, 'n', 'e', 'E', '.', '-', '+', '0', '9', 'A', 'a', '_', 'K', 's'}
	n := 0
	for li := 0; li < len(lines); li += 97 {
		l := lines[li]
		for i := range l {
			m := append([]byte(nil), l[:i]...)
			m = append(m, l[i+1:]...)
			compareFastSlow(t, m)
			n++
			for _, c := range repl {
				m := append([]byte(nil), l...)
				m[i] = c
				compareFastSlow(t, m)
				n++
				m2 := append([]byte(nil), l[:i]...)
				m2 = append(m2, c)
				m2 = append(m2, l[i:]...)
				compareFastSlow(t, m2)
				n++
			}
		}
	}
	t.Logf("%d variants", n)
}
