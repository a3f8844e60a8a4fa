// raft-describe prints etcd 3.4.23's raft.DescribeMessage(m, nil) for each raftpb.Message
// given as one hex line on stdin, one line out per line in: the `describe` of
// ../shared/captures/README.md, from etcd's own code, for tools/capture-extract.py.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"

	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 1<<30)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		bytes, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, "raft-describe: bad hex:", err)
			os.Exit(1)
		}
		var m raftpb.Message
		if err := m.Unmarshal(bytes); err != nil {
			fmt.Fprintln(os.Stderr, "raft-describe: not a raftpb.Message:", err)
			os.Exit(1)
		}
		fmt.Fprintln(out, raft.DescribeMessage(m, nil))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "raft-describe:", err)
		os.Exit(1)
	}
}
