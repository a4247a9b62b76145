# gdbhits.py: the gdb counterpart of hits.star, a Python breakpoint whose
# stop() returns False, so that gdb resumes after every hit.
#
# usage: gdb -batch -nx -ex 'python bench_func, bench_reg = "hot", ""' \
#            -x gdbhits.py --args PROG [ARGS...]
# bench_reg is "" to count only, or a register ("rdi", "rax") to sum as the
# first argument on each hit. Prints
#   gdbbench hits=H argsum=S
import gdb

hits = [0, 0]


class CountingBreakpoint(gdb.Breakpoint):
    def stop(self):
        hits[0] += 1
        if bench_reg:
            hits[1] += int(gdb.parse_and_eval("$" + bench_reg))
        return False


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set startup-with-shell off")
gdb.execute("set print thread-events off")
CountingBreakpoint(bench_func)
gdb.execute("run")
print("gdbbench hits=%d argsum=%d" % (hits[0], hits[1]))
