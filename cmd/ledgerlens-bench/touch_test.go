package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestTouch: the first and second passes are timed, over the memory asked
// for, and a bad size is a usage error.
func TestTouch(t *testing.T) {
	for _, huge := range []bool{false, true} {
		args := []string{"-mib", "4"}
		if huge {
			args = append(args, "-huge")
		}
		var out bytes.Buffer
		if err := cmdTouch(context.Background(), args, &out); err != nil {
			t.Fatal(err)
		}
		var res touchResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%s: %v", out.Bytes(), err)
		}
		if res.MiB != 4 || res.HugePages != huge || res.FirstMS <= 0 || res.SecondMS <= 0 || res.PerGiBMS != round3(res.FirstMS*256) {
			t.Errorf("huge=%t: %+v", huge, res)
		}
	}
	for _, args := range [][]string{{"-mib", "0"}, {"-mib", "-3"}, {"extra"}, {"-bogus"}} {
		if err := cmdTouch(context.Background(), args, &bytes.Buffer{}); !errors.As(err, new(usageError)) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
