package oracle

import (
	"os"
	"testing"

	"github.com/cockroachdb/datadriven"
	"go.etcd.io/etcd/raft/rafttest"
)

func TestOracle(t *testing.T) {
	datadriven.Walk(t, os.Getenv("ORACLE_DIR"), func(t *testing.T, path string) {
		env := rafttest.NewInteractionEnv(nil)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return env.Handle(t, *d)
		})
	})
}
