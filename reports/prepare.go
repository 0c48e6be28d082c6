package reports

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
)

// Prepare does at once, on all cores, everything Publish would do with
// the bytes of artifact a (a.Ext, a.Data) of revision rev of base: it
// signs them (when the publisher signs), hashes them (unless a.SHA256
// holds their digest already, as Publish takes it), and writes them to a
// temporary file in Staging and makes that durable. Publish given the artifact it returns
// then only moves the file into place. A job prepares an artifact as soon
// as it is rendered, while it still renders the others: a report of 80 MB
// takes a fifth of a second to write and as long to sign (bench/HISTORY.md).
//
// Nothing is published until Publish, and nothing is written in Dir. The
// caller must hand the artifact to Publish or Discard it. Prepare creates
// Dir if it is missing, as publishing would.
func (p *Publisher) Prepare(ctx context.Context, base string, rev int, a Artifact) (Artifact, error) {
	ext, data, known := a.Ext, a.Data, a.SHA256
	a = Artifact{Ext: ext, Data: data}
	if err := checkPublicationName(base); err != nil {
		return a, err
	}
	if err := checkArtifactExt(ext); err != nil {
		return a, fmt.Errorf("prepare %s: %w", base, err)
	}
	if err := ctx.Err(); err != nil {
		return a, fmt.Errorf("prepare %s: %w", Name(base, rev, ext), err)
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return a, fmt.Errorf("create output directory: %w", err)
	}
	var f *atomicfile.File
	if p.Staging != "" && stagesAlike(p.Staging, p.Dir) {
		var err error
		if f, err = atomicfile.CreateIn(p.Staging, p.path(base, rev, ext), 0o644); err != nil {
			return a, fmt.Errorf("prepare: %w", err)
		}
	}
	sum := known
	var wg sync.WaitGroup
	if len(sum) != sha256.Size {
		wg.Go(func() { s := sha256.Sum256(data); sum = s[:] })
	}
	if p.Signer != nil {
		wg.Go(func() { a.Sig = p.Signer.Sign(data) })
	}
	var werr error
	if f != nil {
		if _, werr = f.Write(data); werr == nil {
			werr = f.Sync()
		}
	}
	wg.Wait()
	if werr != nil {
		return Artifact{Ext: ext, Data: data}, errors.Join(fmt.Errorf("prepare: %w", werr), f.Abort())
	}
	a.SHA256, a.staged = sum, f
	return a, nil
}

// Discard removes the temporary file of an artifact that Prepare staged
// and that will not be published. It is a no-op for any other artifact,
// and for one Publish already took.
func (a Artifact) Discard() error {
	if a.staged == nil {
		return nil
	}
	return a.staged.Abort()
}

// discardAll discards every staged artifact of files; see Publish.
func discardAll(files []Artifact) {
	for _, a := range files {
		_ = a.Discard() // a temporary file it cannot remove is hidden and harmless
	}
}
