package store

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
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
// holds an object ownObjects does not list. It runs before any statement
// of ledgerlens reads the store.
func checkCatalog(ctx context.Context, conn *sql.Conn) error {
	objects, err := listCatalog(ctx, conn)
	if err != nil {
		return err
	}
	own := ownObjects()
	var foreign []string
	for _, o := range objects {
		if !slices.Contains(own, o) {
			foreign = append(foreign, o.String())
		}
	}
	if len(foreign) > 0 {
		return &ForeignObjectsError{Objects: foreign}
	}
	return nil
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
