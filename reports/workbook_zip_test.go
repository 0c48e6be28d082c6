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
	z := newSortedZip(&out, dir, nil)
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
	// Before Close too: a process killed while it renders leaves nothing.
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files on disk while rendering: %v", left)
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

// Rows left to a sheet's part are written before its </sheetData>, however
// excelize's writes cut the tag; rows whose part never comes, or comes
// without the tag, fail the archive instead of being lost.
func TestSortedZipSplicesRows(t *testing.T) {
	rows := func(w io.Writer) error {
		_, err := io.WriteString(w, `<row r="2"/><row r="3"/>`)
		return err
	}
	const sheet = `<worksheet><sheetData><row r="1"/></sheetData><autoFilter/></worksheet>`
	want := `<worksheet><sheetData><row r="1"/><row r="2"/><row r="3"/></sheetData><autoFilter/></worksheet>`
	for cut := 0; cut <= len(sheet); cut++ {
		var out bytes.Buffer
		z := newSortedZip(&out, t.TempDir(), map[string]func(io.Writer) error{"xl/worksheets/sheet4.xml": rows})
		w, err := z.Create("xl/worksheets/sheet4.xml")
		if err != nil {
			t.Fatal(err)
		}
		for _, piece := range []string{sheet[:cut], sheet[cut:]} {
			if _, err := io.WriteString(w, piece); err != nil {
				t.Fatal(err)
			}
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if err := z.cleanup(); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("cut at %d: part is\n%s\nwant\n%s", cut, got, want)
		}
	}

	for name, parts := range map[string][]string{
		"no such part": {"xl/worksheets/sheet1.xml"},
		"no tag":       {"xl/worksheets/sheet4.xml"},
	} {
		z := newSortedZip(io.Discard, t.TempDir(), map[string]func(io.Writer) error{"xl/worksheets/sheet4.xml": rows})
		for _, p := range parts {
			w, err := z.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, `<worksheet><sheetData/></worksheet>`); err != nil {
				t.Fatal(err)
			}
		}
		if err := z.Close(); err == nil || !strings.Contains(err.Error(), "sheet4.xml") {
			t.Errorf("%s: Close = %v, want an error naming the part", name, err)
		}
		if err := z.cleanup(); err != nil {
			t.Fatal(err)
		}
	}
}
