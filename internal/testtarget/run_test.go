package testtarget_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// runTimeout bounds one run of a target that exits by itself.
const runTimeout = 30 * time.Second

// A run is the result of running a target to completion.
type run struct {
	stdout  string
	stderr  string
	pid     int
	status  syscall.WaitStatus
	elapsed time.Duration
}

// runTarget runs bin with args in a fresh directory (where any core file
// lands) and waits for it to end.
func runTarget(t *testing.T, bin string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	r := run{
		stdout:  stdout.String(),
		stderr:  stderr.String(),
		pid:     cmd.Process.Pid,
		status:  cmd.ProcessState.Sys().(syscall.WaitStatus),
		elapsed: time.Since(start),
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not end within %v; stdout:\n%s", bin, args, runTimeout, r.stdout)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return r
}

// exited fails the test unless the run exited with status 0.
func (r run) exited(t *testing.T) {
	t.Helper()
	if !r.status.Exited() || r.status.ExitStatus() != 0 {
		t.Fatalf("status %v, want exit 0; stderr:\n%s", r.status, r.stderr)
	}
}

// killedBy fails the test unless the run died by signal sig.
func (r run) killedBy(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if !r.status.Signaled() || r.status.Signal() != sig {
		t.Fatalf("status %v, want death by %v; stderr:\n%s", r.status, sig, r.stderr)
	}
}

// wantLines fails the test unless stdout is exactly these lines.
func (r run) wantLines(t *testing.T, lines ...string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if !slices.Equal(got, lines) {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, strings.Join(lines, "\n"))
	}
}

// hotSum returns the sum of hot(i) = 3i+1 for i in [from, to), computed
// the way the targets compute it.
func hotSum(from, to int64) int64 {
	var s int64
	for i := from; i < to; i++ {
		s += 3*i + 1
	}
	return s
}

// argSum returns the sum of i for i in [0, n).
func argSum(n int64) int64 { return n * (n - 1) / 2 }

// runCase runs one target with small arguments and checks its output.
type runCase struct {
	name  string
	args  []string
	check func(t *testing.T, r run)
}

var runCases = []runCase{
	{"c/hotloop", []string{"1000"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t,
			"answer=42",
			fmt.Sprintf("calls=1000 checksum=%d", hotSum(0, 1000)),
			"counter_global=42",
			"patch_me=1")
	}},
	{"c/hotorder", []string{"1000"}, func(t *testing.T, r run) {
		r.exited(t)
		// hot(&o) returns o.qty*3 + 1 for o.qty = 0..999: 3*999*1000/2 + 1000.
		r.wantLines(t, fmt.Sprintf("calls=1000 checksum=%d", 1499500))
	}},
	{"c/stepper", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "total=5 f=120 h=2.5 p=7,8 b=7 s=11", "done")
	}},
	{"c/steplib", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "twice=14 again=16 plus=10")
	}},
	{"go/stepgo", []string{"2", "1000"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "goroutines=2 sum=4068")
	}},
	{"c/hotthreads", []string{"3", "500"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("threads=3 calls=1500 checksum=%d argsum=%d", hotSum(0, 1500), argSum(1500)))
	}},
	{"c/traced", []string{"3", "500"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("threads=3 calls=1500 argsum=%d", argSum(1500)), "notes=4 noted=421")
	}},
	{"c/threadchurn", []string{"20", "3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("started=60 joined=60 checksum=%d", hotSum(0, 60)))
	}},
	{"c/mainexit", []string{"20000"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "workers=3", fmt.Sprintf("workers_done=3 checksum=%d", hotSum(0, 60000)))
	}},
	{"c/mainexit", []string{"20000", "exec"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "workers=3", fmt.Sprintf("workers_done=3 checksum=%d", hotSum(0, 60000)), "workers=3", "workers_done=3 checksum=0")
	}},
	{"c/sigsegv", nil, func(t *testing.T, r run) {
		r.killedBy(t, syscall.SIGSEGV)
		kv := testtarget.KeyValues(r.stdout)
		tid, _ := strconv.Atoi(kv["crash_tid"])
		r.wantLines(t,
			fmt.Sprintf("pid=%d", r.pid),
			fmt.Sprintf("crash_tid=%d", tid),
			"fault_addr=0x10",
			"about to crash")
		if tid == r.pid || tid <= 0 {
			t.Errorf("crash_tid=%d, want a thread other than the leader %d", tid, r.pid)
		}
	}},
	{"c/sigusr1", []string{"3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "handled=3")
	}},
	{"c/sigstorm", []string{"200", "3", "self"}, func(t *testing.T, r run) {
		r.exited(t)
		kv := testtarget.KeyValues(r.stdout)
		calls, err := strconv.Atoi(kv["calls"])
		if err != nil || calls < 200 {
			t.Errorf("calls=%s, want at least the handler's 200", kv["calls"])
		}
		r.wantLines(t, fmt.Sprintf("handled=200 calls=%d", calls))
	}},
	{"c/sigstorm", []string{"0"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "handled=0 calls=0")
	}},
	{"c/sigqueue", []string{"320"}, func(t *testing.T, r run) {
		r.exited(t)
		kv := testtarget.KeyValues(r.stdout)
		calls, err := strconv.Atoi(kv["calls"])
		if err != nil || calls < 340 {
			t.Errorf("calls=%s, want at least the handlers' 340", kv["calls"])
		}
		r.wantLines(t, fmt.Sprintf("rt=320 usr1=20 corrupt=0 disorder=0 calls=%d", calls))
	}},
	{"c/sigtimer", []string{"50"}, func(t *testing.T, r run) {
		r.exited(t)
		kv := testtarget.KeyValues(r.stdout)
		calls, err := strconv.Atoi(kv["calls"])
		if err != nil || calls < 1 {
			t.Errorf("calls=%s, want some multiplications", kv["calls"])
		}
		r.wantLines(t, fmt.Sprintf("ticks=50 corrupt=0 calls=%d", calls))
	}},
	{"c/segvcatch", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("ready pid=%d", r.pid), "si_code=1 si_addr=0x10", "recovered")
	}},
	{"c/sigabrt", nil, func(t *testing.T, r run) {
		r.killedBy(t, syscall.SIGABRT)
		r.wantLines(t, "aborting")
	}},
	{"c/callchain", []string{"3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "in f5", "in f5", "in f5", fmt.Sprintf("calls=3 sum=%d", argSum(3)+15*3))
	}},
	{"c/twostatics", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "a=202 b=15")
	}},
	{"c/typed", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "total=68 id=7")
	}},
	{"c/dlopener", nil, func(t *testing.T, r run) { // the default library next to the executable
		r.exited(t)
		r.wantLines(t, "plugin_sum=26", "unloaded=1", "again=16") // 7+8+11, 3*3+7
	}},
	{"c/mallocs", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "allocs=21 bytes=2097151 largest=1048576")
	}},
	{"c/mallocs", []string{"23"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "allocs=23 bytes=2097154 largest=1048576") // sizes wrap to 1, 2
	}},
	{"c/forker", []string{"fork", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t,
			fmt.Sprintf("child ok sum=%d", hotSum(0, 100)),
			fmt.Sprintf("parent calls=200 sum=%d child_status=0", hotSum(0, 200)))
	}},
	{"c/forker", []string{"spawn", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t,
			"spawn_status=0 system_status=0",
			fmt.Sprintf("parent calls=200 sum=%d", hotSum(0, 200)))
	}},
	{"c/prefork", []string{"server", "4", "1000"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "served=1000 sum=1002000 workers_ok=4")
	}},
	{"c/prefork", []string{"grand"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "child_status=7")
	}},
	{"c/prefork", []string{"orphan"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "parent_exits")
	}},
	{"c/sharedvm", []string{"spawn", "2", "20"}, func(t *testing.T, r run) {
		r.exited(t)
		if kv := testtarget.KeyValues(r.stdout); kv["children"] != "40" || kv["failed"] != "0" || kv["calls"] == "" {
			t.Errorf("output %q, want calls=N children=40 failed=0", r.stdout)
		}
	}},
	{"c/sharedvm", []string{"clone", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=300 child_calls=100 child_status=0")
	}},
	{"c/sharedvm", []string{"clone0", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=300 child_calls=100 child_status=0")
	}},
	{"c/sharedvm", []string{"vfork", "5"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "vforks=5 failed=0")
	}},
	{"c/sharedvm", []string{"orphan", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "parent_calls=100", "orphan_calls=200") // the child's, after its parent's exit
	}},
	{"c/sleeper", []string{"0.3", "2"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("ready pid=%d threads=2", r.pid), "patch_me=1")
		if r.elapsed < 300*time.Millisecond {
			t.Errorf("sleeper 0.3 ended after %v", r.elapsed)
		}
	}},
	{"c/sleeper", []string{"stdin", "2"}, func(t *testing.T, r run) { // stdin is /dev/null: it ends at once
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("ready pid=%d threads=2", r.pid), "patch_me=1")
	}},
	{"c/execer", []string{"5"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "before calls=5", "after calls=10 sum=145")
	}},
	{"c/execrace", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "execd")
	}},
	{"c/affinity", nil, func(t *testing.T, r run) {
		r.exited(t)
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(0, &set); err != nil {
			t.Fatal(err)
		}
		var list []string
		for cpu := 0; cpu < 8*int(unsafe.Sizeof(set)); cpu++ {
			if set.IsSet(cpu) {
				list = append(list, strconv.Itoa(cpu))
			}
		}
		r.wantLines(t, fmt.Sprintf("cpus=%d list=%s", set.Count(), strings.Join(list, ",")))
	}},
	{"c/bigmem", []string{"1"}, func(t *testing.T, r run) {
		r.exited(t)
		kv := testtarget.KeyValues(r.stdout)
		addr, err := strconv.ParseUint(strings.TrimPrefix(kv["region"], "0x"), 16, 64)
		if err != nil || addr == 0 || addr%4096 != 0 {
			t.Errorf("region=%s, want a page-aligned address", kv["region"])
		}
		r.wantLines(t, fmt.Sprintf("region=%#x size=1048576", addr))
	}},
	{"cpp/typed", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "sum=6 bump=13 x=13 y=21", "counter=5 t=7,8 instances=1 both=4,both,6 id=4")
	}},
	{"go/hotgo", []string{"4", "1000", "chain"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t,
			fmt.Sprintf("goroutines=4 calls=4000 checksum=%d argsum=%d", hotSum(0, 4000), argSum(4000)),
			"method=33",
			"in f5",
			"chain=15")
	}},
	{"go/hotgo", []string{"2", "10"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("goroutines=2 calls=20 checksum=%d argsum=190", hotSum(0, 20)), "method=33")
	}},
	{"c/retvals", []string{"values"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "answer=42", "negate=-12345", "narrow=24464", "grade=A", "scale=6", "half=2.5", "label=on",
			"make_pair=4,40", "make_mixed=3,3.25", "make_dpair=2.5,-2.5", "make_fquad=1.5,2.5,3.5,4.5", "make_tiny=abc",
			"make_big=5,6,7,99", "nothing=2", "precise=0.75")
	}},
	{"c/retvals", []string{"fib", "20", "8"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=175128 retsum=804880 result=54120") // 8 * (21891 calls, sum 100610, fib(20) = 6765)
	}},
	{"c/retvals", []string{"longjmp", "3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "jumps=3", "dived=18")
	}},
	{"c/retvals", []string{"exit", "4", "10"}, func(t *testing.T, r run) {
		r.exited(t)
		// odd threads: 5 rounds and the one that exits, even ones 10 rounds;
		// leave(3) is 4 calls and returns 8+4+2+1
		r.wantLines(t, "exited=2", "left=128 returned=120 retsum=450")
	}},
	{"cpp/throwing", []string{"4", "30"}, func(t *testing.T, r run) {
		r.exited(t)
		// a round is 6 entries; 6, 0 or 3 returns (sums 21, 0, 100+101+102)
		r.wantLines(t, "threads=4 rounds=30 entered=720 returned=360 thrown=80 retsum=12960")
	}},
	{"go/retgo", []string{"values"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "divmod=3,<nil>", "divmod=0,division by zero", "mkPoint={3 4 0.75}", "named=gopher7,10.5",
			"small=-5,true,5000", "pair=[3 3]", "cplx=(2-2i)")
	}},
	{"c/bigwrite", []string{"2"}, func(t *testing.T, r run) {
		r.exited(t)
		h := fnv.New64a()
		h.Write([]byte(r.stdout))
		if want := fmt.Sprintf("bytes=%d fnv=%016x\n", 2<<20, h.Sum64()); len(r.stdout) != 2<<20 || r.stderr != want {
			t.Errorf("%d bytes on stdout; stderr %q, want %q", len(r.stdout), r.stderr, want)
		}
	}},
	{"c/minirepl", nil, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "> bye lines=0") // its input is empty
	}},
	{"go/retgo", []string{"fib", "20", "8"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=175128 retsum=804880 result=54120")
	}},
	{"go/retgo", []string{"deep", "1000"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=1001 retsum=610544")
	}},
	{"go/retgo", []string{"panic", "3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "recovered=3 risky=18")
	}},
	{"c/syscaller", []string{"threads", "8", "100"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "threads=8 calls=800")
	}},
	{"c/syscaller", []string{"eintr"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "eintr_read=-1 errno=EINTR handled=1", "restart_read=1 byte=x handled=2")
	}},
	{"go/fileio", []string{"io", ".", "4", "10"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "files=40 bytes=760")
	}},
	{"go/fileio", []string{"read", "/nonexistent/file"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "type=*fs.PathError errno=2 err=open /nonexistent/file: no such file or directory")
	}},
	{"go/cgomix", []string{"3"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "result=9")
	}},
	{"go/greeter", []string{"3", "10"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "calls=30 lensum=240")
	}},
	{"go/httpload", []string{"3", "4"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, "requests=12 total=4818", "apple=3 fig=3 kiwi=3 pear=3")
	}},
	{"go/goparked", []string{"40"}, func(t *testing.T, r run) {
		r.exited(t)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if lines[0] != "parked=40" || lines[len(lines)-2] != "probe" || lines[len(lines)-1] != "done" ||
			strings.Count(r.stdout, "\ngoroutine ") != 41 {
			t.Errorf("want parked=40, a dump of 41 goroutines, probe, done; got:\n%s", r.stdout)
		}
	}},
	{"go/gotyped", nil, func(t *testing.T, r run) {
		r.exited(t)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		vars := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "var ") {
				vars++
			}
		}
		if vars != 35 || lines[len(lines)-1] != "probe" {
			t.Errorf("gotyped printed %d var lines and ended with %q, want 35 and \"probe\"", vars, lines[len(lines)-1])
		}
		for _, want := range []string{`var s "héllo, 世界"`, "var i -7", `var items [{"Name":"apple","Qty":3},{"Name":"pear","Qty":10}]`, "var z [1.5,-2]",
			"var errNil null", `var add "main.typed.func1"`, "global main.counter 42"} {
			if !slices.Contains(lines, want) {
				t.Errorf("gotyped did not print %q:\n%s", want, r.stdout)
			}
		}
	}},
	{"go/sleepergo", []string{"0.3", "2"}, func(t *testing.T, r run) {
		r.exited(t)
		r.wantLines(t, fmt.Sprintf("ready pid=%d goroutines=2", r.pid), "patch_me=1")
		if r.elapsed < 300*time.Millisecond {
			t.Errorf("sleepergo 0.3 ended after %v", r.elapsed)
		}
	}},
}

// TestRun builds every target in every variant and checks what it prints.
func TestRun(t *testing.T) {
	for _, c := range runCases {
		for _, v := range testtarget.Variants(c.name) {
			args := strings.Join(c.args, "_")
			if args == "" {
				args = "noargs"
			}
			t.Run(fmt.Sprintf("%s/%s/%s", c.name, v, args), func(t *testing.T) {
				t.Parallel()
				c.check(t, runTarget(t, testtarget.Build(t, c.name, v), c.args...))
			})
		}
	}
}

// TestDlopenerPluginPath passes the library path explicitly, as the brief
// for debugger tests does.
func TestDlopenerPluginPath(t *testing.T) {
	for _, v := range testtarget.Variants("c/dlopener") {
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			r := runTarget(t, testtarget.Build(t, "c/dlopener", v), testtarget.PluginPath(t, v), "4")
			r.exited(t)
			r.wantLines(t, "plugin_sum=42", "unloaded=1", "again=23") // 7+8+11+16, 4*4+7
		})
	}
}

// TestEveryTargetRuns makes sure no target is left out of the tests here.
func TestEveryTargetRuns(t *testing.T) {
	tested := map[string]bool{"c/manythreads": true, "c/tracedchild": true} // see interactive_test.go
	for _, c := range runCases {
		tested[c.name] = true
	}
	for _, name := range testtarget.Targets() {
		if !tested[name] {
			t.Errorf("target %s has no run case in internal/testtarget/run_test.go; add one that checks its output", name)
		}
	}
}
