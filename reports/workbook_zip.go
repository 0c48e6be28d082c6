package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"sort"

	"github.com/xuri/excelize/v2"
)

// zipDOSDate1980 is 1980-01-01 in MS-DOS date format, the earliest date a
// zip entry can carry. Every part gets it so that no wall-clock time enters
// the workbook's bytes.
const zipDOSDate1980 = 1<<5 | 1

// sortedZip is the excelize.ZipWriter the workbook is written with. It
// compresses each part as excelize hands it over, keeps the compressed bytes,
// and on Close writes the archive with the parts in name order and a fixed
// date. excelize itself emits streamed sheets in Go map order, which differs
// from run to run; this is what makes the same report give the same bytes.
type sortedZip struct {
	out   io.Writer
	parts []*zipPart
	cur   *zipPart
	fw    *flate.Writer
	err   error
}

var _ excelize.ZipWriter = (*sortedZip)(nil)

// zipPart is one compressed archive member.
type zipPart struct {
	name string
	data bytes.Buffer
	crc  hash.Hash32
	size uint64
	fw   *flate.Writer
}

func (p *zipPart) Write(b []byte) (int, error) {
	_, _ = p.crc.Write(b)
	p.size += uint64(len(b))
	return p.fw.Write(b)
}

func newSortedZip(out io.Writer) *sortedZip { return &sortedZip{out: out} }

// Create starts a new part; the previous one is complete.
func (z *sortedZip) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	for _, p := range z.parts {
		if p.name == name {
			return nil, fmt.Errorf("workbook zip: duplicate part %s", name)
		}
	}
	p := &zipPart{name: name, crc: crc32.NewIEEE()}
	if z.fw == nil {
		fw, err := flate.NewWriter(&p.data, flate.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("workbook zip: %w", err)
		}
		z.fw = fw
	} else {
		z.fw.Reset(&p.data)
	}
	p.fw = z.fw
	z.cur = p
	return p, nil
}

// AddFS is part of excelize.ZipWriter; the workbook never adds a file tree.
func (z *sortedZip) AddFS(fs.FS) error {
	return errors.New("workbook zip: AddFS is not supported")
}

func (z *sortedZip) finish() error {
	if z.err != nil {
		return z.err
	}
	if z.cur == nil {
		return nil
	}
	if err := z.cur.fw.Close(); err != nil {
		z.err = fmt.Errorf("workbook zip: compress %s: %w", z.cur.name, err)
		return z.err
	}
	z.cur.fw = nil
	z.parts = append(z.parts, z.cur)
	z.cur = nil
	return nil
}

// Close writes the archive. "[Content_Types].xml" sorts first, as Office
// itself writes it.
func (z *sortedZip) Close() error {
	if err := z.finish(); err != nil {
		return err
	}
	sort.Slice(z.parts, func(i, j int) bool { return z.parts[i].name < z.parts[j].name })
	zw := zip.NewWriter(z.out)
	for i, p := range z.parts {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               p.name,
			Method:             zip.Deflate,
			ModifiedDate:       zipDOSDate1980,
			CRC32:              p.crc.Sum32(),
			CompressedSize64:   uint64(p.data.Len()),
			UncompressedSize64: p.size,
		})
		if err != nil {
			return fmt.Errorf("workbook zip: %s: %w", p.name, err)
		}
		if _, err := p.data.WriteTo(w); err != nil {
			return fmt.Errorf("workbook zip: %s: %w", p.name, err)
		}
		z.parts[i] = nil // let the compressed bytes go as soon as they are out
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("workbook zip: %w", err)
	}
	return nil
}
