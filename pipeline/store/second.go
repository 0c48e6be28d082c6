package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoSecond says that the store's second connection is taken (Second).
var ErrNoSecond = errors.New("the store's second connection is in use")

// Second returns the store as read through its second connection, for a
// reader that runs statements beside those on the store's own: DuckDB
// runs a statement over a few thousand rows (a week's, one row group) on
// one thread, so two such statements, one on each connection, use both
// cores where one after the other would leave one idle. Both see the same
// committed data; temporary tables, macros and views are each
// connection's own, and a database attached on either is seen by both.
//
// It is for reading: it must not ingest, and must not be used while an
// ingest runs (an append's search of the earlier rows takes the same
// connection). It does not wait for the connection: while it is taken
// (by another Second not yet closed), it returns ErrNoSecond at once.
// Close gives the connection back and leaves the store open; the store
// must not be closed before it.
func (s *Store) Second(ctx context.Context) (*Store, error) {
	if st := s.db.Stats(); st.InUse >= st.MaxOpenConnections {
		return nil, ErrNoSecond
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open a second connection to %s: %w", s.name, err)
	}
	if err := s.defineViews(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("second connection to %s: %w", s.name, err)
	}
	a, err := arrowOf(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open a second connection to %s: %w", s.name, err)
	}
	return &Store{path: s.path, name: s.name, db: s.db, conn: conn, arrow: a, threads: s.threads,
		zone: s.zone, loc: s.loc, readOnly: s.readOnly, version: s.version, second: true}, nil
}
