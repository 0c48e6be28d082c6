package rules

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
)

//go:embed sql/rules.sql
var rulesSQL string

// Install defines the rule macros of sql/rules.sql on conn (temporary
// macros, seen only by this connection). Queries that classify runs call
// it first; defining them again is harmless.
func Install(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, rulesSQL); err != nil {
		return fmt.Errorf("rules.sql: %w", err)
	}
	return nil
}
