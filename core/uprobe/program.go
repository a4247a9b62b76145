package uprobe

import (
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// Slots of a probe's counts map.
const (
	slotHits = 0 // hits that passed the filter
	slotLost = 1 // records that did not fit in the ring buffer
)

// program writes the eBPF program of spec s. Registers: R6 the context
// (struct pt_regs at the hit), R7 pid_tgid, R8 the record.
func program(s *Spec, counts *ebpf.Map) asm.Instructions {
	const exit = "exit"
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentPidTgid.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.RSh.Imm(asm.R0, 32),
		asm.JNE.Imm(asm.R0, int32(s.Tgid), exit),
	}
	if s.Cond.Tid != 0 {
		insns = append(insns,
			asm.Mov.Reg32(asm.R1, asm.R7), // the low half: the thread id
			asm.JNE.Imm(asm.R1, int32(s.Cond.Tid), exit))
	}
	if s.Cond.Op != OpNone {
		// Jump to exit when the comparison does not hold.
		not := map[Op]asm.JumpOp{OpEq: asm.JNE, OpNe: asm.JEq, OpLt: asm.JSGE, OpLe: asm.JSGT, OpGt: asm.JSLE, OpGe: asm.JSLT}[s.Cond.Op]
		insns = append(insns,
			asm.LoadMem(asm.R1, asm.R6, int16(8*s.Cond.Reg), asm.DWord),
			asm.LoadImm(asm.R2, s.Cond.Value, asm.DWord),
			not.Reg(asm.R1, asm.R2, exit))
	}
	insns = append(insns, count(counts, slotHits)...)
	if s.Ring != nil {
		insns = append(insns, record(s, counts)...)
	}
	insns = append(insns,
		asm.Mov.Imm(asm.R0, 0).WithSymbol(exit),
		asm.Return())
	return insns
}

// count adds one to slot of the counts map, atomically: the program may be
// preempted by another hit on the same CPU.
func count(counts *ebpf.Map, slot int32) asm.Instructions {
	skip := fmt.Sprintf("counted%d", slot)
	return asm.Instructions{
		asm.StoreImm(asm.RFP, -4, int64(slot), asm.Word),
		asm.LoadMapPtr(asm.R1, counts.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, skip),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 0).WithSymbol(skip),
	}
}

// record reserves a record in the ring buffer and fills it: a record that
// does not fit is counted as lost.
func record(s *Spec, counts *ebpf.Map) asm.Instructions {
	offs, size := layout(s.Captures)
	insns := asm.Instructions{
		asm.LoadMapPtr(asm.R1, s.Ring.m.FD()),
		asm.Mov.Imm(asm.R2, int32(size)),
		asm.Mov.Imm(asm.R3, 0),
		asm.FnRingbufReserve.Call(),
		asm.JNE.Imm(asm.R0, 0, "fill"),
	}
	insns = append(insns, count(counts, slotLost)...)
	insns = append(insns,
		asm.Ja.Label("exit"),
		asm.Mov.Reg(asm.R8, asm.R0).WithSymbol("fill"),
		asm.StoreImm(asm.R8, offID, int64(s.ID), asm.Word),
		asm.StoreMem(asm.R8, offTid, asm.R7, asm.Word),
		asm.FnKtimeGetNs.Call(),
		asm.StoreMem(asm.R8, offTime, asm.R0, asm.DWord),
	)
	for i := range int16(NumRegs) {
		insns = append(insns,
			asm.LoadMem(asm.R1, asm.R6, 8*i, asm.DWord),
			asm.StoreMem(asm.R8, offRegs+8*i, asm.R1, asm.DWord))
	}
	for i, c := range s.Captures {
		read := asm.FnProbeReadUser
		if c.Kind == CaptureString {
			read = asm.FnProbeReadUserStr
		}
		insns = append(insns,
			asm.Mov.Reg(asm.R1, asm.R8),
			asm.Add.Imm(asm.R1, int32(offs[i]+8)),
			asm.Mov.Imm(asm.R2, int32(c.bufSize())),
			asm.LoadMem(asm.R3, asm.R6, int16(8*c.Reg), asm.DWord),
			read.Call(),
			asm.StoreMem(asm.R8, int16(offs[i]), asm.R0, asm.Word))
	}
	// Wake the reader only once WakeBytes wait: it polls (ReadTimeout)
	// meanwhile, so a record never waits long, and a reader that keeps up
	// with the program is not woken at every record.
	const (
		rbAvailData   = 0 // BPF_RB_AVAIL_DATA
		rbNoWakeup    = 1 // BPF_RB_NO_WAKEUP
		rbForceWakeup = 2 // BPF_RB_FORCE_WAKEUP
	)
	return append(insns,
		asm.LoadMapPtr(asm.R1, s.Ring.m.FD()),
		asm.Mov.Imm(asm.R2, rbAvailData),
		asm.FnRingbufQuery.Call(),
		asm.Mov.Imm(asm.R2, rbNoWakeup),
		asm.JLT.Imm(asm.R0, WakeBytes, "submit"),
		asm.Mov.Imm(asm.R2, rbForceWakeup),
		asm.Mov.Reg(asm.R1, asm.R8).WithSymbol("submit"),
		asm.FnRingbufSubmit.Call())
}

// WakeBytes is how much of the ring buffer fills before the reader is woken
// (about 340 records without captures); until then it finds the records
// when it next looks, at most ReadTimeout later.
const WakeBytes = 64 << 10

// ReadTimeout is the longest a reader waiting on Ring.FD may sleep while
// fewer than WakeBytes of records wait.
const ReadTimeout = 5 * time.Millisecond
