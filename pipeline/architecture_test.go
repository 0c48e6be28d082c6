package pipeline

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// jobFiles are the files of this package: one per job, and doc.go.
var jobFiles = []string{"acknowledge.go", "baseline.go", "doc.go", "evidence.go", "ingest.go", "integrity.go", "keys.go", "notify.go", "sla.go", "weekly.go"}

// TestJobsDoNotReachIntoEachOther keeps the package a set of independent
// jobs: it holds no other (shared) file, and no job file uses a name
// another job file declares. Shared machinery belongs in package job,
// shared reads in the package that owns the data.
func TestJobsDoNotReachIntoEachOther(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !slices.Contains(jobFiles, name) {
			t.Errorf("%s is not a job file: shared machinery belongs in package job", name)
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	declaredIn := map[string]string{} // top-level name → file
	for name, f := range files {
		for _, d := range f.Decls {
			for _, n := range topLevelNames(d) {
				declaredIn[n] = name
			}
		}
	}
	for name, f := range files {
		local := definedNames(f)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				check(t, fset, name, n.X, local, declaredIn)
				return false
			case *ast.KeyValueExpr:
				// A struct literal's field key is not a use of a name.
				if _, ok := n.Key.(*ast.Ident); !ok {
					check(t, fset, name, n.Key, local, declaredIn)
				}
				check(t, fset, name, n.Value, local, declaredIn)
				return false
			case *ast.Ident:
				check(t, fset, name, n, local, declaredIn)
			}
			return true
		})
	}
}

// check reports every identifier under n that names another file's
// top-level declaration.
func check(t *testing.T, fset *token.FileSet, file string, n ast.Node, local map[string]bool, declaredIn map[string]string) {
	t.Helper()
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			check(t, fset, file, n.X, local, declaredIn)
			return false
		case *ast.Ident:
			if other, ok := declaredIn[n.Name]; ok && other != file && !local[n.Name] {
				t.Errorf("%s: %s uses %s, declared in %s: a job must not reach into another job's file", fset.Position(n.Pos()), file, n.Name, other)
			}
		}
		return true
	})
}

func topLevelNames(d ast.Decl) []string {
	var out []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			out = append(out, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				out = append(out, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					out = append(out, n.Name)
				}
			}
		}
	}
	return out
}

// definedNames lists every name a file defines anywhere (top level or
// local), so a local that shadows another file's name is not a use of it.
func definedNames(f *ast.File) map[string]bool {
	out := map[string]bool{}
	add := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil {
				out[id.Name] = true
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			add(n.Name)
		case *ast.TypeSpec:
			add(n.Name)
		case *ast.ValueSpec:
			add(n.Names...)
		case *ast.Field:
			add(n.Names...)
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				if id, ok := n.Key.(*ast.Ident); ok {
					add(id)
				}
				if id, ok := n.Value.(*ast.Ident); ok {
					add(id)
				}
			}
		}
		return true
	})
	return out
}
