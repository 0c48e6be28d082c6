package store

import (
	"context"
	_ "embed"
	"fmt"
)

//go:embed sql/rows_of_ingests_to_come.sql
var rowsOfIngestsToComeSQL string

// checkRowIngests returns an error wrapping ErrStateEdited when a row of
// the store's tables names an ingest its own history does not hold yet.
// An append tells its own rows, and the earlier rows its new ones repeat,
// by ingest_seq, which no digest covers (a reload numbers the rows anew):
// an old row renumbered as the next ingest's hid the conflicting
// duplicate that ingest appended, and a duplicate renumbered so made it
// count one run fewer than it loaded, both signed, exit 0 (an outside
// review). Numbering a row down changes nothing an append reads.
func (s *Store) checkRowIngests(ctx context.Context) error {
	var newestRow, newest int64
	if err := ScanRowNamed(ctx, s.conn, "rows_of_ingests_to_come", rowsOfIngestsToComeSQL,
		map[string]any{"newest_row_ingest": &newestRow, "newest_ingest": &newest}); err != nil {
		return fmt.Errorf("check the rows' ingests: %w", err)
	}
	if newestRow > newest {
		return fmt.Errorf("rows of its tables name ingest %d, but its record of ingests (ingest_log) ends at %d: %w", newestRow, newest, ErrStateEdited)
	}
	return nil
}
