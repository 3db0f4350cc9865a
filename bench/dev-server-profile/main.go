// Command symbolize turns `perf script -F ip,dso` output of the temporal CLI (a stripped Go binary: perf finds no
// symbols in it) into where the dev server spends its CPU. Go keeps its function table (.gopclntab) even in stripped
// binaries, so the standard library can name every sampled address. Standard library only: it builds offline.
//
//	perf script -i perf.data -F ip,dso | go run ./bench/dev-server-profile .tools/temporal/bin/temporal
package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// What a reader needs to know about a child workflow's cost: each row is the share of samples whose stack passes
// through any of these functions (rows overlap: SQLite statement compilation is part of SQLite).
var categories = []struct{ name, match string }{
	{"gRPC requests served (frontend, history, matching)", "google.golang.org/grpc.(*Server).handleStream"},
	{"history: workflow task completed", "RespondWorkflowTaskCompleted_Handler"},
	{"history: workflow task started", "RecordWorkflowTaskStarted_Handler"},
	{"history: activity task started", "RecordActivityTaskStarted_Handler"},
	{"history: activity task completed", "RespondActivityTaskCompleted_Handler"},
	{"history: start workflow / child", "StartWorkflowExecution_Handler"},
	{"transfer queue (dispatch tasks, start children, record child completion)", "(*transferQueueActiveTaskExecutor).Execute"},
	{"visibility queue (all)", "(*visibilityQueueTaskExecutor).Execute"},
	{"visibility: record started", "(*visibilityQueueTaskExecutor).processStartExecution"},
	{"visibility: upsert (BuildIds on the first workflow task)", "(*visibilityQueueTaskExecutor).processUpsertExecution"},
	{"visibility: record closed", "(*visibilityQueueTaskExecutor).processCloseExecution"},
	{"timer queue", "(*timerQueueActiveTaskExecutor).Execute"},
	{"matching (task queues)", "go.temporal.io/server/service/matching."},
	{"persistence: SQLite (all)", "modernc.org/sqlite."},
	{"persistence: SQLite compiling SQL text (no statement cache)", "modernc.org/sqlite/lib._sqlite3Prepare"},
	{"Go garbage collector (background marking)", "runtime.gcBgMarkWorker"},
	{"Go stack growth (copying goroutine stacks)", "runtime.newstack"},
	{"kernel (syscalls, scheduling)", "[kernel]"},
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: perf script -F ip,dso | symbolize <temporal binary> [top N]")
		os.Exit(2)
	}
	binary := os.Args[1]
	top := 40
	if len(os.Args) > 2 {
		if n, err := strconv.Atoi(os.Args[2]); err == nil {
			top = n
		}
	}
	table, base, err := functionTable(binary)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaryName := filepath.Base(binary)
	self := map[string]int{}
	inclusive := map[string]int{}
	byCategory := make([]int, len(categories))
	samples := 0
	var stack []string
	flush := func() {
		if len(stack) == 0 {
			return
		}
		samples++
		self[stack[0]]++
		seen := map[string]bool{}
		for _, name := range stack {
			if !seen[name] {
				seen[name] = true
				inclusive[name]++
			}
		}
		for i, category := range categories {
			for name := range seen {
				if strings.Contains(name, category.match) {
					byCategory[i]++
					break
				}
			}
		}
		stack = nil
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			flush()
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		name := "[kernel]"
		if strings.Contains(line, binaryName) {
			// perf prints addresses in the binary as file offsets; the text segment maps offset 0 at `base`.
			name = "?"
			if offset, err := strconv.ParseUint(fields[0], 16, 64); err == nil {
				if fn := table.PCToFunc(offset + base); fn != nil {
					name = fn.Name
				}
			}
		} else if !strings.Contains(line, "kernel") {
			name = "[" + strings.Trim(fields[len(fields)-1], "()") + "]"
		}
		stack = append(stack, name)
	}
	flush()
	if samples == 0 {
		fmt.Fprintln(os.Stderr, "no samples on stdin")
		os.Exit(1)
	}
	fmt.Printf("%d samples of the temporal dev server\n\nwhere the time goes (inclusive, rows overlap)\n", samples)
	for i, category := range categories {
		fmt.Printf("%6.1f%%  %s\n", percent(byCategory[i], samples), category.name)
	}
	printTop("\nfunctions, self time", self, samples, top)
	printTop("\nfunctions, inclusive", inclusive, samples, top)
}

// functionTable reads the Go function table and the address the text segment is loaded at (its file offset 0).
func functionTable(binary string) (*gosym.Table, uint64, error) {
	file, err := elf.Open(binary)
	if err != nil {
		return nil, 0, err
	}
	defer file.Close()
	text, pclntab := file.Section(".text"), file.Section(".gopclntab")
	if text == nil || pclntab == nil {
		return nil, 0, fmt.Errorf("%s: no .text or .gopclntab section (not a Go ELF binary?)", binary)
	}
	data, err := pclntab.Data()
	if err != nil {
		return nil, 0, err
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, 0, err
	}
	for _, program := range file.Progs {
		if program.Type == elf.PT_LOAD && program.Flags&elf.PF_X != 0 {
			return table, program.Vaddr - program.Off, nil
		}
	}
	return nil, 0, fmt.Errorf("%s: no executable segment", binary)
}

func printTop(title string, counts map[string]int, samples, top int) {
	type entry struct {
		name  string
		count int
	}
	entries := make([]entry, 0, len(counts))
	for name, count := range counts {
		entries = append(entries, entry{name, count})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].count > entries[j].count })
	fmt.Println(title)
	for i, e := range entries {
		if i >= top {
			break
		}
		fmt.Printf("%6.1f%%  %s\n", percent(e.count, samples), e.name)
	}
}

func percent(count, samples int) float64 { return 100 * float64(count) / float64(samples) }
