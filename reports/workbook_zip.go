package reports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sort"

	"github.com/xuri/excelize/v2"
)

// zipDOSDate1980 is 1980-01-01 in MS-DOS date format, the earliest date a
// zip entry can carry. Every part gets it so that no wall-clock time enters
// the workbook's bytes.
const zipDOSDate1980 = 1<<5 | 1

// sortedZip is the excelize.ZipWriter the workbook is written with. It
// compresses each part as excelize hands it over, on all cores
// (parallelDeflate), into a temporary file, and
// on Close writes the archive to out with the parts in name order and a
// fixed date. excelize itself emits streamed sheets in Go map order, which
// differs from run to run; this is what makes the same report give the same
// bytes. The rows a sheet writer left to directRows are written into
// their sheet's part as it passes, before its </sheetData>; a part that
// never comes, or has no such tag, fails the workbook rather than lose
// them. Keeping the compressed parts on disk keeps memory flat however
// large the sheets are.
type sortedZip struct {
	out    io.Writer
	tmpDir string
	// rows are written into the parts they name, before </sheetData>
	// (directRows); each must be used exactly once.
	rows    map[string]func(io.Writer) error
	spliced map[string]bool
	tmp     *os.File
	buf     *bufio.Writer
	off     int64 // bytes written to tmp so far (through buf)
	parts   []*zipPart
	cur     *zipPart
	fw      *parallelDeflate
	err     error
}

var _ excelize.ZipWriter = (*sortedZip)(nil)

// zipPart is one compressed archive member: its bytes are tmp[off:off+n].
type zipPart struct {
	name string
	off  int64
	n    int64
	crc  hash.Hash32
	size uint64
	z    *sortedZip
	// rows, when set, writes rows of the part's sheet where </sheetData>
	// first appears; held keeps the bytes of a marker cut between two
	// writes.
	rows func(io.Writer) error
	held []byte
}

// sheetDataEnd is where a sheet's directly written rows go.
var sheetDataEnd = []byte("</sheetData>")

// Write compresses b into the temporary file, with the part's directly
// written rows spliced in before </sheetData>.
func (p *zipPart) Write(b []byte) (int, error) {
	if p.rows == nil {
		return p.write(b)
	}
	n := len(b)
	buf := append(p.held, b...)
	at := bytes.Index(buf, sheetDataEnd)
	if at < 0 {
		keep := min(len(buf), len(sheetDataEnd)-1)
		if _, err := p.write(buf[:len(buf)-keep]); err != nil {
			return 0, err
		}
		p.held = append(p.held[:0], buf[len(buf)-keep:]...)
		return n, nil
	}
	if _, err := p.write(buf[:at]); err != nil {
		return 0, err
	}
	rows := p.rows
	p.rows, p.held = nil, nil
	p.z.spliced[p.name] = true
	if err := rows(writerFunc(p.write)); err != nil {
		p.z.err = fmt.Errorf("workbook zip: rows of %s: %w", p.name, err)
		return 0, p.z.err
	}
	if _, err := p.write(buf[at:]); err != nil {
		return 0, err
	}
	return n, nil
}

// writerFunc is a function as an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// write compresses b into the temporary file.
func (p *zipPart) write(b []byte) (int, error) {
	_, _ = p.crc.Write(b)
	p.size += uint64(len(b))
	n, err := p.z.fw.Write(b)
	if err != nil {
		p.z.err = fmt.Errorf("workbook zip: compress %s: %w", p.name, err)
		return n, p.z.err
	}
	return n, nil
}

// newSortedZip returns a sortedZip writing to out, which splices rows (by
// part name, possibly nil) into their parts.
func newSortedZip(out io.Writer, tmpDir string, rows map[string]func(io.Writer) error) *sortedZip {
	return &sortedZip{out: out, tmpDir: tmpDir, rows: rows, spliced: map[string]bool{}}
}

// Write counts what the compressor emits on its way to the temporary file.
func (z *sortedZip) Write(b []byte) (int, error) {
	n, err := z.buf.Write(b)
	z.off += int64(n)
	return n, err
}

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
	if z.tmp == nil {
		// Without a name, used through its descriptor: a process killed
		// while it renders (SIGKILL, the out-of-memory killer) leaves
		// nothing behind in TMPDIR. Every killed job left one.
		tmp, err := scratchFile(z.tmpDir, "ledgerlens-workbook-*.zipparts")
		if err != nil {
			return nil, fmt.Errorf("workbook zip: %w", err)
		}
		z.tmp = tmp
		z.buf = bufio.NewWriterSize(tmp, 1<<16)
		z.fw = newParallelDeflate(z, runtime.GOMAXPROCS(0))
	}
	z.cur = &zipPart{name: name, off: z.off, crc: crc32.NewIEEE(), z: z, rows: z.rows[name]}
	return z.cur, nil
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
	if z.cur.rows != nil {
		// Rows that found no place would be lost: the workbook fails.
		z.err = fmt.Errorf("workbook zip: %s has no </sheetData> for its rows", z.cur.name)
		return z.err
	}
	if err := z.fw.EndPart(); err != nil {
		z.err = fmt.Errorf("workbook zip: compress %s: %w", z.cur.name, err)
		return z.err
	}
	z.cur.n = z.off - z.cur.off
	z.parts = append(z.parts, z.cur)
	z.cur = nil
	return nil
}

// Close writes the archive to out. "[Content_Types].xml" sorts first, as
// Office itself writes it.
func (z *sortedZip) Close() error {
	if err := z.finish(); err != nil {
		return err
	}
	for name := range z.rows {
		if !z.spliced[name] {
			return fmt.Errorf("workbook zip: no part %s for its rows", name)
		}
	}
	if z.buf != nil {
		if err := z.buf.Flush(); err != nil {
			return fmt.Errorf("workbook zip: %w", err)
		}
	}
	sort.Slice(z.parts, func(i, j int) bool { return z.parts[i].name < z.parts[j].name })
	// An in-memory destination (a *bytes.Buffer) is sized once: growing
	// it by doubling touched about twice the archive's size in fresh
	// memory, which is what a large workbook costs most of on a host
	// where that is slow (bench/HISTORY.md).
	if g, ok := z.out.(interface{ Grow(int) }); ok {
		size := z.off + 22 // the parts and the end of the central directory
		for _, p := range z.parts {
			size += 30 + 46 + 2*int64(len(p.name)) + 40 // local and central headers, ZIP64 extras
		}
		g.Grow(int(size))
	}
	zw := zip.NewWriter(z.out)
	for _, p := range z.parts {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:   p.name,
			Method: zip.Deflate,
			//lint:ignore SA1019 the DOS date fields are what the bytes of every workbook carry; Modified would write an extended timestamp too.
			ModifiedDate:       zipDOSDate1980,
			CRC32:              p.crc.Sum32(),
			CompressedSize64:   uint64(p.n),
			UncompressedSize64: p.size,
		})
		if err != nil {
			return fmt.Errorf("workbook zip: %s: %w", p.name, err)
		}
		if _, err := io.Copy(w, io.NewSectionReader(z.tmp, p.off, p.n)); err != nil {
			return fmt.Errorf("workbook zip: %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("workbook zip: %w", err)
	}
	return nil
}

// cleanup closes the temporary file (unlinked since Create). It is safe to
// call more than once and on every path, including after a failed Close.
func (z *sortedZip) cleanup() error {
	if z.fw != nil {
		z.fw.wait()
	}
	if z.tmp == nil {
		return nil
	}
	err := z.tmp.Close()
	z.tmp = nil
	if err != nil {
		return fmt.Errorf("workbook zip: %w", err)
	}
	return nil
}
