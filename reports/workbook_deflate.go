package reports

import (
	"bytes"
	"github.com/klauspost/compress/flate"
	"io"
)

// deflateSegmentSize is how much of a part one compression task takes.
// Segments are compressed independently, so a back-reference never
// crosses a segment boundary; at 1 MiB of XML that costs well under 1 %
// of the compressed size.
const deflateSegmentSize = 1 << 20

// parallelDeflate compresses the workbook's parts on all cores. Each
// part's bytes are cut into segments of deflateSegmentSize; every segment
// is compressed on its own and ends with a sync flush (an empty stored
// block, byte-aligned), the part's last one with the final block, so the
// segments' outputs written in order are one valid deflate stream. The
// cut points depend only on the bytes, so the output is the same on any
// machine and with any number of cores.
//
// The spike-run sheet is nearly all of a large workbook, and excelize
// hands its parts over one at a time after every sheet is streamed: on
// one core their compression was 0.4 s of the workbook's 2.2 s at ten
// million runs (bench/HISTORY.md).
//
// It is not safe for concurrent use; its own goroutines touch only the
// segment they compress.
type parallelDeflate struct {
	dst io.Writer // the compressed bytes, in order
	// writers hold one flate.Writer per core: taking one is what bounds
	// the compressions running at once.
	writers  chan *flate.Writer
	cur      *deflateSegment   // the segment being filled
	inflight []*deflateSegment // handed out, in order, not yet written to dst
	spare    []*deflateSegment // written out, to fill again
	err      error
}

// deflateSegment is one compression task.
type deflateSegment struct {
	in    []byte
	out   bytes.Buffer
	final bool
	done  chan struct{}
}

// newParallelDeflate returns a parallelDeflate writing to dst that runs
// up to workers compressions at once.
func newParallelDeflate(dst io.Writer, workers int) *parallelDeflate {
	n := max(workers, 1)
	d := &parallelDeflate{dst: dst, writers: make(chan *flate.Writer, n)}
	for range n {
		// Speed over size: parts are XML and shrink well even at level 1.
		// klauspost/compress's level 1 is a quarter faster than
		// compress/flate's on the workbook, and its output 5 % smaller
		// (BenchmarkRenderWorkbook; bench/HISTORY.md).
		fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed) // a valid level: no error
		d.writers <- fw
	}
	return d
}

// maxInFlight is how many segments may be handed out before the oldest is
// waited for: enough to keep every core busy while dst is written.
func (d *parallelDeflate) maxInFlight() int { return 2 * cap(d.writers) }

// Write adds p to the current part.
func (d *parallelDeflate) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(p)
	for len(p) > 0 {
		if d.cur == nil {
			d.cur = d.segment()
		}
		k := min(len(p), deflateSegmentSize-len(d.cur.in))
		d.cur.in = append(d.cur.in, p[:k]...)
		p = p[k:]
		if len(d.cur.in) == deflateSegmentSize {
			if err := d.submit(false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// EndPart compresses what is left of the current part as its final
// segment and returns once every segment of the part is written to dst.
func (d *parallelDeflate) EndPart() error {
	if d.err != nil {
		return d.err
	}
	if d.cur == nil {
		d.cur = d.segment() // an empty part still needs its final block
	}
	if err := d.submit(true); err != nil {
		return err
	}
	for len(d.inflight) > 0 {
		if err := d.writeOldest(); err != nil {
			return err
		}
	}
	return nil
}

// wait waits for every compression handed out and drops their output: no
// goroutine outlives an abandoned workbook.
func (d *parallelDeflate) wait() {
	for _, s := range d.inflight {
		<-s.done
	}
	d.inflight = nil
}

// segment returns an empty segment, a spare one if there is one.
func (d *parallelDeflate) segment() *deflateSegment {
	if n := len(d.spare); n > 0 {
		s := d.spare[n-1]
		d.spare = d.spare[:n-1]
		s.in, s.final = s.in[:0], false
		s.out.Reset()
		return s
	}
	return &deflateSegment{in: make([]byte, 0, deflateSegmentSize)}
}

// submit hands the current segment to a compression of its own.
func (d *parallelDeflate) submit(final bool) error {
	s := d.cur
	d.cur = nil
	s.final, s.done = final, make(chan struct{})
	d.inflight = append(d.inflight, s)
	go func() {
		defer close(s.done)
		fw := <-d.writers
		defer func() { d.writers <- fw }()
		// Writing to a bytes.Buffer does not fail.
		fw.Reset(&s.out)
		_, _ = fw.Write(s.in)
		if s.final {
			_ = fw.Close()
		} else {
			_ = fw.Flush()
		}
	}()
	for len(d.inflight) > d.maxInFlight() {
		if err := d.writeOldest(); err != nil {
			return err
		}
	}
	return nil
}

// writeOldest waits for the oldest segment handed out and writes its
// output to dst.
func (d *parallelDeflate) writeOldest() error {
	s := d.inflight[0]
	d.inflight = d.inflight[1:]
	<-s.done
	_, err := d.dst.Write(s.out.Bytes())
	d.spare = append(d.spare, s)
	if err != nil {
		d.err = err
		d.wait()
		return err
	}
	return nil
}
