package reports

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestSortedZip(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	z := newSortedZip(&out, dir)
	parts := map[string]string{
		"xl/worksheets/sheet2.xml": strings.Repeat("<row>b</row>", 5000),
		"xl/worksheets/sheet1.xml": "<sheet/>",
		"[Content_Types].xml":      "<Types/>",
		"docProps/core.xml":        "",
	}
	for _, name := range []string{"xl/worksheets/sheet2.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml", "docProps/core.xml"} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, parts[name]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := z.Create("docProps/core.xml"); err == nil {
		t.Error("a duplicate part was accepted")
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := z.cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := z.cleanup(); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[Content_Types].xml", "docProps/core.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
	if len(zr.File) != len(want) {
		t.Fatalf("%d parts, want %d", len(zr.File), len(want))
	}
	for i, zf := range zr.File {
		if zf.Name != want[i] {
			t.Errorf("part %d = %s, want %s", i, zf.Name, want[i])
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // also checks the CRC
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if string(got) != parts[zf.Name] {
			t.Errorf("%s: content differs", zf.Name)
		}
	}
}
