# Random etcd raft interaction scripts for tools/raft-oracle/run.sh: gen-scripts.py OUT COUNT SEED.
import random, sys, os
out, count, seed0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
for n in range(count):
    rnd = random.Random(seed0 + n)
    blocks = []
    def blk(cmd, inp=None):
        blocks.append(cmd + "\n" + (inp + "\n" if inp is not None else "") + "----\n")
    nodes = rnd.randint(2, 4)
    voters = list(range(1, nodes + 1))
    learners = []
    if rnd.random() < 0.3 and nodes > 2:
        learners = [voters.pop()]
    opt = "voters=(%s)" % ",".join(map(str, voters))
    if learners: opt += " learners=(%s)" % ",".join(map(str, learners))
    blk("add-nodes %d %s index=%d" % (nodes, opt, rnd.choice([2, 3, 5])))
    ticks = {}
    total = nodes
    if rnd.random() < 0.85:
        blk("campaign %d" % rnd.randint(1, nodes))
        blk("stabilize")
    for step in range(rnd.randint(10, 80)):
        r = rnd.random()
        x = rnd.randint(1, total)
        if r < 0.12:
            blk("campaign %d" % x)
        elif r < 0.30:
            blk("propose %d w%d" % (x, step))
        elif r < 0.40:
            if rnd.random() < 0.3:
                op = rnd.choice("vlr") + str(rnd.randint(1, 6))
                blk("propose-conf-change %d v1=true" % x, op)
            else:
                ops = " ".join(rnd.choice("vlr") + str(rnd.randint(1, 6)) for _ in range(rnd.randint(0, 3)))
                tr = rnd.choice(["", " transition=auto", " transition=implicit", " transition=explicit"])
                blk("propose-conf-change %d%s" % (x, tr), ops)
        elif r < 0.52:
            blk("process-ready %d" % x)
        elif r < 0.62:
            others = [i for i in range(1, total + 1) if i != x]
            if others and rnd.random() < 0.4:
                blk("deliver-msgs %d drop=(%d)" % (x, rnd.choice(others)))
            else:
                blk("deliver-msgs %d" % x)
        elif r < 0.80:
            subset = sorted(rnd.sample(range(1, total + 1), rnd.randint(1, total))) if rnd.random() < 0.4 else []
            blk("stabilize" + "".join(" %d" % i for i in subset))
        elif r < 0.86:
            if ticks.get(x, 0) < 2:
                ticks[x] = ticks.get(x, 0) + 1
                blk("tick-heartbeat %d" % x)
        elif r < 0.89:
            blk("compact %d %d" % (x, rnd.randint(2, 6)))
        elif r < 0.92:
            blk("raft-log %d" % x)
        elif r < 0.96:
            blk("status %d" % x)
        elif r < 0.98 and total < 6:
            blk("add-nodes 1")
            total += 1
        else:
            blk("log-level %s" % rnd.choice(["none", "debug", "info"]))
    blk("stabilize")
    for i in range(1, total + 1):
        blk("raft-log %d" % i)
        blk("status %d" % i)
    with open(os.path.join(out, "g%04d.txt" % (seed0 + n)), "w") as f:
        f.write("\n".join(blocks))
