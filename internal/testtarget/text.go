package testtarget

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TextIntact fails the test unless the .text of executable bin in the memory
// of process pid equals the ELF file's: the debugger left no int3 behind. It
// reads through a live thread, so it also works for a process whose main
// thread called pthread_exit (and has no maps of its own any more).
func TextIntact(t testing.TB, pid int, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text := f.Section(".text")
	want, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		dir := fmt.Sprintf("/proc/%d/task/%s", pid, task.Name())
		bias, ok := loadBias(dir, exe, f.Type)
		if !ok {
			continue
		}
		mem, err := os.Open(dir + "/mem")
		if err != nil {
			continue
		}
		got := make([]byte, len(want))
		_, err = mem.ReadAt(got, int64(text.Addr+bias))
		mem.Close()
		if err != nil {
			t.Fatalf("reading .text of process %d: %v", pid, err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("process %d: .text differs from %s at offset %#x: %#x in memory, %#x in the file", pid, bin, i, got[i], want[i])
			}
		}
		return
	}
	t.Fatalf("no live thread of process %d maps %s", pid, exe)
}

// loadBias finds where a task's maps put the executable (0 for ET_EXEC).
func loadBias(taskDir, exe string, typ elf.Type) (uint64, bool) {
	maps, err := os.ReadFile(taskDir + "/maps")
	if err != nil || len(maps) == 0 {
		return 0, false
	}
	if typ != elf.ET_DYN {
		return 0, true
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && fs[5] == exe && fs[2] == "00000000" {
			start, err := strconv.ParseUint(strings.Split(fs[0], "-")[0], 16, 64)
			return start, err == nil
		}
	}
	return 0, false
}
