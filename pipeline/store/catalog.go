package store

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// ErrForeignObject is the error Open returns for a store whose catalog
// holds an object ledgerlens does not create (ForeignObjectsError).
var ErrForeignObject = errors.New("the store holds objects ledgerlens does not create")

// ForeignObjectsError names the objects of a store's catalog that
// ledgerlens's schema (sql/schema.sql, sql/runs_view.sql) does not define.
// A macro named like a built-in function replaces it in every query on the
// store — `max` computing a minimum changed a signed report, and every
// verifier passed (docs/COMPLIANCE.md, "The store's catalog") — and any
// other object is nothing ledgerlens made either.
type ForeignObjectsError struct {
	Objects []string // "macro main.max", in catalog order
}

func (e *ForeignObjectsError) Error() string {
	return fmt.Sprintf("%v: %s; they would change what its queries compute (planted, or an edited store), so nothing was read from it: move the store away (the next job rebuilds it from the ledger, checked against the audit log), then run 'ledgerlens verify all'",
		ErrForeignObject, strings.Join(e.Objects, ", "))
}

func (e *ForeignObjectsError) Unwrap() error { return ErrForeignObject }

// catalogObject is one object of a store's own catalog: its kind (table,
// view, macro, …), schema and name.
type catalogObject struct{ kind, schema, name string }

func (o catalogObject) String() string { return o.kind + " " + o.schema + "." + o.name }

// catalogObjectsSQL lists the objects of the store file's own catalog.
//
//go:embed sql/catalog_objects.sql
var catalogObjectsSQL string

// ownObjectRE finds the objects a schema file creates.
var ownObjectRE = regexp.MustCompile(`(?im)^CREATE\s+(?:OR\s+REPLACE\s+)?(TABLE|VIEW|MACRO)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)`)

// ownObjects are the objects ledgerlens creates, all in the main schema:
// those of its schema files, the store_meta table Open creates first (to
// read the version), and the views the driver's Arrow interface registers
// (which stores of earlier versions kept; now each is dropped once read).
// TestOwnObjectsAreAFreshStoresCatalog checks them against what a new
// store holds.
func ownObjects() []catalogObject {
	out := []catalogObject{{"table", "main", "store_meta"}}
	for _, v := range arrowViews() {
		out = append(out, catalogObject{"view", "main", v})
	}
	for _, src := range []string{schemaSQL, runsViewSQL} {
		for _, m := range ownObjectRE.FindAllStringSubmatch(src, -1) {
			out = append(out, catalogObject{strings.ToLower(m[1]), "main", m[2]})
		}
	}
	return out
}

// checkCatalog returns a *ForeignObjectsError when the store's catalog
// holds an object ownObjects does not list, or a table of its own whose
// columns are not the schema's (a column added to ledger_rows named like
// one the runs view computes, day_local, took that name's place in an
// analyst's query); for a sandboxed open, an error when it holds the Arrow
// views earlier versions left, which crash a query that reads them. It
// runs before any other statement reads the store.
func checkCatalog(ctx context.Context, conn *sql.Conn, sandbox bool) error {
	objects, err := listCatalog(ctx, conn)
	if err != nil {
		return err
	}
	own := ownObjects()
	var foreign, arrow []string
	for _, o := range objects {
		switch {
		case !slices.Contains(own, o):
			foreign = append(foreign, o.String())
		case o.kind == "view" && slices.Contains(arrowViews(), o.name):
			arrow = append(arrow, o.name)
		}
	}
	if len(foreign) > 0 {
		// Before any statement that names a function unqualified (the
		// column check reads store_meta with max): a planted one would
		// run.
		return &ForeignObjectsError{Objects: foreign}
	}
	columns, err := foreignColumns(ctx, conn)
	if err != nil {
		return err
	}
	if len(columns) > 0 {
		return &ForeignObjectsError{Objects: columns}
	}
	if sandbox && len(arrow) > 0 {
		return fmt.Errorf("the store holds views an earlier ledgerlens left (%s), which crash a query that reads them: run 'ledgerlens ingest' once (it removes them), then query again",
			strings.Join(arrow, ", "))
	}
	return nil
}

// ownColumnsSQL creates the schema's tables, as a store of version
// version holds them, in the connection's temporary catalog under their
// own names: what the store's tables' columns are compared with. They are
// dropped again at once, since they would shadow the store's. Before
// wideCodesSchemaVersion the codes were USMALLINT (the only UINTEGER
// columns of the schema are codes).
func ownColumnsSQL(version int) string {
	sql := strings.ReplaceAll(schemaSQL, "CREATE TABLE IF NOT EXISTS ", "CREATE OR REPLACE TEMP TABLE ")
	if version < wideCodesSchemaVersion {
		sql = strings.ReplaceAll(sql, "UINTEGER", "USMALLINT")
	}
	return sql
}

// foreignColumns lists, as "column main.ledger_rows.day_local DATE", every
// column of the store's own tables that the schema does not give them in
// that place, type, nullability and default, and every column the schema gives them
// that is missing, in a store of the codes layout (codesSchemaVersion and
// later); a store of an earlier layout is rebuilt by a writable open.
func foreignColumns(ctx context.Context, conn *sql.Conn) (out []string, err error) {
	version, err := readSchemaVersion(ctx, conn)
	if err != nil || version < codesSchemaVersion {
		return nil, err // an earlier layout: a writable open rebuilds it
	}
	var db string
	if err := conn.QueryRowContext(ctx, "SELECT system.main.current_database()").Scan(&db); err != nil {
		return nil, fmt.Errorf("name the store's database: %w", err)
	}
	if _, err := conn.ExecContext(ctx, ownColumnsSQL(version)); err != nil {
		return nil, fmt.Errorf("create the expected tables: %w", err)
	}
	expected, err := listColumns(ctx, conn, "temp")
	for table := range expected {
		if _, derr := conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp.main."+table); derr != nil && err == nil {
			err = fmt.Errorf("drop the expected tables: %w", derr)
		}
	}
	if err != nil {
		return nil, err
	}
	got, err := listColumns(ctx, conn, db)
	if err != nil {
		return nil, err
	}
	for _, table := range slices.Sorted(maps.Keys(expected)) {
		have, ok := got[table]
		if !ok {
			continue // an earlier version's store, or one rebuilt as it opens
		}
		want := expected[table]
		for i, c := range have {
			if i >= len(want) || c != want[i] {
				out = append(out, "column main."+table+"."+c.String())
			}
		}
		for i := len(have); i < len(want); i++ {
			if table != "ledger_state" { // tail_fold: added by the version 8 migration
				out = append(out, "column main."+table+"."+want[i].String()+" (missing)")
			}
		}
	}
	return out, nil
}

// column is one column of a table, as duckdb_columns() states it.
type column struct {
	name, dataType, def string
	nullable            bool
}

func (c column) String() string {
	s := c.name + " " + c.dataType
	if !c.nullable {
		s += " NOT NULL"
	}
	if c.def != "" {
		s += " DEFAULT " + c.def
	}
	return s
}

// catalogColumnsSQL lists a database's main tables' columns.
//
//go:embed sql/catalog_columns.sql
var catalogColumnsSQL string

// listColumns lists the columns of database db's main tables by table.
func listColumns(ctx context.Context, conn *sql.Conn, db string) (map[string][]column, error) {
	rows, err := conn.QueryContext(ctx, catalogColumnsSQL, db)
	if err != nil {
		return nil, fmt.Errorf("list the store's columns: %w", err)
	}
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table string
		var c column
		if err := ScanNamed(rows, "catalog_columns", map[string]any{"table_name": &table, "column_name": &c.name, "data_type": &c.dataType, "column_default": &c.def, "is_nullable": &c.nullable}); err != nil {
			return nil, err
		}
		out[table] = append(out[table], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the store's columns: %w", err)
	}
	return out, nil
}

// listCatalog lists the store file's own catalog, sorted.
func listCatalog(ctx context.Context, conn *sql.Conn) ([]catalogObject, error) {
	rows, err := conn.QueryContext(ctx, catalogObjectsSQL)
	if err != nil {
		return nil, fmt.Errorf("list the store's catalog: %w", err)
	}
	defer rows.Close()
	var out []catalogObject
	for rows.Next() {
		var o catalogObject
		if err := ScanNamed(rows, "catalog_objects", map[string]any{"kind": &o.kind, "schema_name": &o.schema, "name": &o.name}); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the store's catalog: %w", err)
	}
	slices.SortFunc(out, func(a, b catalogObject) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// tempViewsSQL is runs_view.sql creating its views and macro in the
// connection's temporary catalog, which name resolution searches before
// the store's: every read-only open defines them so (a writable one has
// just replaced the file's own), and no statement of ledgerlens nor an
// analyst's query reads the definitions the store file holds under those
// names, which anyone who can write the file may have changed (a runs
// view hiding a run passed every verifier until the next job replaced
// it).
func tempViewsSQL() string {
	return strings.NewReplacer(
		"CREATE OR REPLACE VIEW ", "CREATE OR REPLACE TEMP VIEW ",
		"CREATE OR REPLACE MACRO ", "CREATE OR REPLACE TEMP MACRO ",
	).Replace(runsViewSQL)
}
