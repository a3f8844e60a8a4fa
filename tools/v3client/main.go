// v3client drives etcd 3.4's Lock (v3lockpb) and Election (v3electionpb) gRPC services
// directly, as clients such as jetcd call them (not through clientv3/concurrency), with two
// contenders, and exits 1 with a message on the first deviation from what etcd 3.4.23 does.
// Lock: the second contender's Lock waits until the first Unlocks; the key is
// name/hex(lease); a missing lease and a cancelled Lock behave as etcd's. Election: the
// second Campaign waits until the first Resigns; Leader answers the current leader; Observe
// sees both leaders and the proclaimed value; Proclaim by a non-leader and Leader with no
// leader fail as etcd's do. The two contenders use the first and the last endpoint.
//
//	v3client -endpoints 127.0.0.1:2379[,127.0.0.1:22379] [-name PREFIX]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/etcdserver/api/v3election/v3electionpb"
	"go.etcd.io/etcd/etcdserver/api/v3lock/v3lockpb"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"go.etcd.io/etcd/mvcc/mvccpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// contender is one client: its own connection and lease.
type contender struct {
	name     string
	conn     *grpc.ClientConn
	kv       pb.KVClient
	lease    pb.LeaseClient
	lock     v3lockpb.LockClient
	election v3electionpb.ElectionClient
	id       int64
}

// How long a waiting call must stay blocked to count as waiting, and how long a released
// one may take to return.
const (
	blockedFor = 1500 * time.Millisecond
	releasedIn = 10 * time.Second
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated gRPC endpoints")
	name := flag.String("name", fmt.Sprintf("v3client-%d", time.Now().UnixNano()), "prefix of the lock and election names")
	flag.Parse()
	list := strings.Split(*endpoints, ",")
	a := connect("A", list[0])
	b := connect("B", list[len(list)-1])
	checkLock(a, b, *name+"-lock")
	checkElection(a, b, *name+"-election")
	a.revoke()
	b.revoke()
	fmt.Println("v3client: lock and election behave as etcd 3.4's")
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "v3client: "+format+"\n", args...)
	os.Exit(1)
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}

func connect(name, endpoint string) *contender {
	dial, cancel := ctx()
	defer cancel()
	conn, err := grpc.DialContext(dial, endpoint, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fail("%s: dial %s: %v", name, endpoint, err)
	}
	c := &contender{name: name, conn: conn, kv: pb.NewKVClient(conn), lease: pb.NewLeaseClient(conn),
		lock: v3lockpb.NewLockClient(conn), election: v3electionpb.NewElectionClient(conn)}
	c.id = c.grant(30)
	return c
}

func (c *contender) grant(ttl int64) int64 {
	call, cancel := ctx()
	defer cancel()
	resp, err := c.lease.LeaseGrant(call, &pb.LeaseGrantRequest{TTL: ttl})
	if err != nil {
		fail("%s: LeaseGrant: %v", c.name, err)
	}
	return resp.ID
}

func (c *contender) revoke() {
	call, cancel := ctx()
	defer cancel()
	if _, err := c.lease.LeaseRevoke(call, &pb.LeaseRevokeRequest{ID: c.id}); err != nil {
		fail("%s: LeaseRevoke: %v", c.name, err)
	}
}

// get reads one key (nil when absent).
func (c *contender) get(key string) *mvccpb.KeyValue {
	call, cancel := ctx()
	defer cancel()
	resp, err := c.kv.Range(call, &pb.RangeRequest{Key: []byte(key)})
	if err != nil {
		fail("%s: Range %q: %v", c.name, key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	return resp.Kvs[0]
}

func ownKey(prefix string, lease int64) string { return fmt.Sprintf("%s/%x", prefix, lease) }

// expectStatus checks that err is etcd's: the server's v3client hands clientv3's errors to
// gRPC, which answers Unknown with their text.
func expectStatus(what string, err error, code codes.Code, message string) {
	if err == nil {
		fail("%s: succeeded; etcd answers %s %q", what, code, message)
	}
	s, _ := status.FromError(err)
	if s.Code() != code || s.Message() != message {
		fail("%s: got %s %q; etcd answers %s %q", what, s.Code(), s.Message(), code, message)
	}
}

func expectHeader(what string, header *pb.ResponseHeader) {
	if header == nil || header.Revision <= 0 || header.ClusterId == 0 || header.MemberId == 0 {
		fail("%s: response header %v lacks the cluster, member or revision", what, header)
	}
}

// pending runs call in the background; its result arrives on the returned channel.
func pending(call func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	return done
}

func expectBlocked(what string, done <-chan error) {
	select {
	case err := <-done:
		fail("%s: returned (%v) while the other contender holds it", what, err)
	case <-time.After(blockedFor):
	}
}

func expectReleased(what string, done <-chan error) {
	select {
	case err := <-done:
		if err != nil {
			fail("%s: %v", what, err)
		}
	case <-time.After(releasedIn):
		fail("%s: still waiting %v after the other contender let go", what, releasedIn)
	}
}

func checkLock(a, b *contender, name string) {
	call, cancel := ctx()
	defer cancel()
	held, err := a.lock.Lock(call, &v3lockpb.LockRequest{Name: []byte(name), Lease: a.id})
	if err != nil {
		fail("A: Lock: %v", err)
	}
	expectHeader("A: Lock", held.Header)
	if string(held.Key) != ownKey(name, a.id) {
		fail("A: Lock key %q, etcd's is %q (name/hex(lease))", held.Key, ownKey(name, a.id))
	}
	again, err := a.lock.Lock(call, &v3lockpb.LockRequest{Name: []byte(name), Lease: a.id})
	if err != nil || string(again.Key) != string(held.Key) {
		fail("A: Lock again with the same lease: %v, key %q; etcd answers at once with the same key", err, again.GetKey())
	}

	var second *v3lockpb.LockResponse
	waiting := pending(func() (err error) {
		second, err = b.lock.Lock(context.Background(), &v3lockpb.LockRequest{Name: []byte(name), Lease: b.id})
		return err
	})
	expectBlocked("B: Lock", waiting)

	// A third contender that gives up: etcd deletes the key its Lock had put.
	quitter := a.grant(30)
	quit, stop := context.WithCancel(context.Background())
	gaveUp := pending(func() error {
		_, err := a.lock.Lock(quit, &v3lockpb.LockRequest{Name: []byte(name), Lease: quitter})
		return err
	})
	waitFor("the cancelled contender's key to appear", func() bool { return a.get(ownKey(name, quitter)) != nil })
	stop()
	if err := <-gaveUp; status.Code(err) != codes.Canceled {
		fail("cancelled Lock: %v, want Canceled", err)
	}
	waitFor("the cancelled contender's key to be deleted", func() bool { return a.get(ownKey(name, quitter)) == nil })

	unlocked, err := a.lock.Unlock(call, &v3lockpb.UnlockRequest{Key: held.Key})
	if err != nil {
		fail("A: Unlock: %v", err)
	}
	expectHeader("A: Unlock", unlocked.Header)
	expectReleased("B: Lock after A's Unlock", waiting)
	expectHeader("B: Lock", second.Header)
	if string(second.Key) != ownKey(name, b.id) {
		fail("B: Lock key %q, etcd's is %q", second.Key, ownKey(name, b.id))
	}
	if second.Header.Revision < unlocked.Header.Revision {
		fail("B: Lock answered at revision %d, before A's Unlock at %d", second.Header.Revision, unlocked.Header.Revision)
	}
	if a.get(string(held.Key)) != nil {
		fail("A's lock key %q is still there after Unlock", held.Key)
	}
	if _, err := b.lock.Unlock(call, &v3lockpb.UnlockRequest{Key: second.Key}); err != nil {
		fail("B: Unlock: %v", err)
	}

	_, err = a.lock.Lock(call, &v3lockpb.LockRequest{Name: []byte(name), Lease: 0x7ead})
	expectStatus("Lock with a lease that does not exist", err, codes.Unknown, "etcdserver: requested lease not found")

	// Lease 0: etcd's server grants a lease of 60 s for the lock.
	granted, err := a.lock.Lock(call, &v3lockpb.LockRequest{Name: []byte(name)})
	if err != nil {
		fail("Lock without a lease: %v", err)
	}
	kv := a.get(string(granted.Key))
	if kv == nil || string(granted.Key) != ownKey(name, kv.Lease) {
		fail("Lock without a lease: key %q is not name/hex(lease) of a lease it holds (%v)", granted.Key, kv)
	}
	ttl, err := a.lease.LeaseTimeToLive(call, &pb.LeaseTimeToLiveRequest{ID: kv.Lease})
	if err != nil || ttl.GrantedTTL != 60 {
		fail("Lock without a lease: the lease it granted: %v %v; etcd grants 60 s", ttl, err)
	}
	if _, err := a.lease.LeaseRevoke(call, &pb.LeaseRevokeRequest{ID: kv.Lease}); err != nil {
		fail("LeaseRevoke of the lock's own lease: %v", err)
	}
	if _, err := a.lease.LeaseRevoke(call, &pb.LeaseRevokeRequest{ID: quitter}); err != nil {
		fail("LeaseRevoke: %v", err)
	}
}

func waitFor(what string, done func() bool) {
	deadline := time.Now().Add(releasedIn)
	for !done() {
		if time.Now().After(deadline) {
			fail("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkElection(a, b *contender, name string) {
	call, cancel := ctx()
	defer cancel()
	_, err := a.election.Leader(call, &v3electionpb.LeaderRequest{Name: []byte(name)})
	expectStatus("Leader before any campaign", err, codes.Unknown, "election: no leader")

	observed := observe(b, name)

	first, err := a.election.Campaign(call, &v3electionpb.CampaignRequest{Name: []byte(name), Lease: a.id, Value: []byte("a")})
	if err != nil {
		fail("A: Campaign: %v", err)
	}
	expectHeader("A: Campaign", first.Header)
	leaderA := first.Leader
	if leaderA == nil || string(leaderA.Name) != name || string(leaderA.Key) != ownKey(name, a.id) ||
		leaderA.Lease != a.id || leaderA.Rev != first.Header.Revision {
		fail("A: Campaign leader %v; etcd's is {name %q key %q rev %d lease %d}", leaderA, name, ownKey(name, a.id), first.Header.Revision, a.id)
	}

	var second *v3electionpb.CampaignResponse
	waiting := pending(func() (err error) {
		second, err = b.election.Campaign(context.Background(), &v3electionpb.CampaignRequest{Name: []byte(name), Lease: b.id, Value: []byte("b")})
		return err
	})
	expectBlocked("B: Campaign", waiting)

	expectLeader(b, name, ownKey(name, a.id), "a")
	if _, err := a.election.Proclaim(call, &v3electionpb.ProclaimRequest{Leader: leaderA, Value: []byte("a2")}); err != nil {
		fail("A: Proclaim: %v", err)
	}
	expectLeader(b, name, ownKey(name, a.id), "a2")
	impostor := &v3electionpb.LeaderKey{Name: []byte(name), Key: []byte(ownKey(name, b.id)), Rev: leaderA.Rev, Lease: b.id}
	_, err = b.election.Proclaim(call, &v3electionpb.ProclaimRequest{Leader: impostor, Value: []byte("b?")})
	expectStatus("B: Proclaim while A leads", err, codes.Unknown, "election: not leader")
	_, err = b.election.Proclaim(call, &v3electionpb.ProclaimRequest{Value: []byte("b?")})
	expectStatus("Proclaim without a leader key", err, codes.Unknown, `"leader" field must be provided`)
	_, err = b.election.Resign(call, &v3electionpb.ResignRequest{})
	expectStatus("Resign without a leader key", err, codes.Unknown, `"leader" field must be provided`)
	// Resigning a leadership one does not hold deletes nothing and succeeds.
	if _, err := b.election.Resign(call, &v3electionpb.ResignRequest{Leader: impostor}); err != nil {
		fail("B: Resign of a leadership it does not hold: %v; etcd answers OK", err)
	}
	expectLeader(b, name, ownKey(name, a.id), "a2")

	resigned, err := a.election.Resign(call, &v3electionpb.ResignRequest{Leader: leaderA})
	if err != nil {
		fail("A: Resign: %v", err)
	}
	expectHeader("A: Resign", resigned.Header)
	expectReleased("B: Campaign after A's Resign", waiting)
	leaderB := second.Leader
	if leaderB == nil || string(leaderB.Key) != ownKey(name, b.id) || leaderB.Lease != b.id || leaderB.Rev <= leaderA.Rev {
		fail("B: Campaign leader %v; want key %q lease %d and a revision after A's %d", leaderB, ownKey(name, b.id), b.id, leaderA.Rev)
	}
	expectLeader(a, name, ownKey(name, b.id), "b")

	if _, err := b.election.Resign(call, &v3electionpb.ResignRequest{Leader: leaderB}); err != nil {
		fail("B: Resign: %v", err)
	}
	_, err = a.election.Leader(call, &v3electionpb.LeaderRequest{Name: []byte(name)})
	expectStatus("Leader after both resigned", err, codes.Unknown, "election: no leader")

	want := []string{"a", "a2", "b"}
	var seen []string
	for len(seen) < len(want) {
		select {
		case v := <-observed:
			seen = append(seen, v)
		case <-time.After(releasedIn):
			fail("Observe saw %q; want %q", seen, want)
		}
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		fail("Observe saw %q; want %q", seen, want)
	}
}

func expectLeader(c *contender, name, key, value string) {
	call, cancel := ctx()
	defer cancel()
	resp, err := c.election.Leader(call, &v3electionpb.LeaderRequest{Name: []byte(name)})
	if err != nil {
		fail("%s: Leader: %v", c.name, err)
	}
	expectHeader(c.name+": Leader", resp.Header)
	if resp.Kv == nil || string(resp.Kv.Key) != key || string(resp.Kv.Value) != value {
		fail("%s: Leader answered %v; want key %q value %q", c.name, resp.Kv, key, value)
	}
}

// observe streams the values Observe reports; the stream stays open for the whole run.
func observe(c *contender, name string) <-chan string {
	stream, err := c.election.Observe(context.Background(), &v3electionpb.LeaderRequest{Name: []byte(name)})
	if err != nil {
		fail("%s: Observe: %v", c.name, err)
	}
	values := make(chan string, 16)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				fail("%s: Observe ended: %v", c.name, err)
			}
			expectHeader(c.name+": Observe", resp.Header)
			values <- string(resp.Kv.Value)
		}
	}()
	return values
}
