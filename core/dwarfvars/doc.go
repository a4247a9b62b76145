// Package dwarfvars reads the program's data model from DWARF: the types
// of C, C++ and Go programs, and the names a debugger needs to find them.
// It is the layer under a debugger's "print": given a type name such as
// "struct order", "order_t", "unsigned int", "char *" or "int[4]", it
// returns a Type with its size, fields, offsets, bitfields, elements and
// enumerators, and renders it in C syntax as gdb's whatis and ptype do.
//
// For an address, FramesAt lists the frames active there, innermost first
// (calls the compiler inlined, then the function that holds the code),
// each with its parameters and the locals of the lexical blocks that
// contain the address; LookupVar finds a name as C scoping does: locals of
// the innermost block first, then parameters, the statics of the unit,
// and globals. Location says where a variable is at an address: it picks
// the entry of a location list (DWARF 4 .debug_loc, DWARF 5
// .debug_loclists) and runs the location expression (Eval) against a
// Context the caller provides: registers by DWARF number, the frame's CFA,
// memory and thread-local storage. The result is a Location: an address,
// a register, implicit bytes, several pieces, or optimized out.
// At a function's first instruction, before its prologue, DWARF often
// describes arguments by stack slots not written yet (at -O0, and at -O2
// for some); EntryLocations gives their places by the SysV x86-64 calling
// convention instead (and a Go function's by Go's register ABI,
// ABIInternal). Results says where a function's results are at its
// return address, from the registers there: rax, rdx, xmm0 and xmm1 as
// the SysV ABI classifies the C type (a struct returned in memory is read
// at the address the callee returns in rax), or, for Go, the registers and
// stack slots ABIInternal assigns to each result. ReadBytes assembles an object's bytes from a Location, and Printer
// formats them as gdb's print does ({x = 3, y = 4}, 65 'A',
// <repeats 15 times>, 0x401136 <hot>).
//
// Data wraps one file's *dwarf.Data and the raw sections debug/dwarf does
// not decode (FromELF takes both from an open *elf.File, so that the
// caller that already holds the file, such as core/sym's cache, does not
// open it twice). Nothing is read up front: the first lookup by name builds a name index
// from the top-level entries of each compilation unit only (their
// children are skipped by DW_AT_sibling), and a type is decoded from its
// entry on first use and cached by its offset, so a program with a large
// DWARF (python3, libc with libc6-dbg) costs one pass over top-level
// entries, not a decoding of every unit.
//
// Type is an interface with a Kind, not a closed set: C types are the
// concrete types of this package (BaseType, PointerType, StructType, ...),
// and Go's types add StringType, SliceType, MapType, InterfaceType,
// ChanType and GoFuncType (kinds String, Slice, Map, Interface, Chan and
// Func), decoded from the Go toolchain's DWARF (its DW_AT_go_kind,
// DW_AT_go_key, DW_AT_go_elem and DW_AT_go_runtime_type attributes); Go's
// pointers, arrays and structs are the C ones with their Go names. In a Go
// unit, types are looked up by their Go names ("main.Order", "[]string",
// "*main.Order"), a variable that escaped to the heap ("&x" in DWARF) is x,
// read through its pointer, and arguments at a function's entry follow
// ABIInternal (goabi_amd64.go).
//
// A GoReader reads what Go values refer to in memory: strings' bytes,
// slices' elements, the entries of maps as Go 1.24 and later build them
// (swiss tables, internal/runtime/maps: the layouts of the header, tables
// and groups from the DWARF of each map type), the dynamic type of an
// interface (its runtime type descriptor, whose offset in the module's
// types section names a DWARF type), channels' queues and the functions of
// func values. GoPrinter formats Go values as Delve's print does, with its
// default limits; EvalGoExpr evaluates Go expressions (go/parser's syntax,
// a debugger's subset of the semantics). Go's older bucket-based maps
// (before Go 1.24) are not read.
//
// C expressions (EvalExpr: ParseExpr then Expr.Eval) are evaluated with
// C's semantics against an ExprEnv, which resolves names and reads
// memory. The package does not read memory or registers itself (the
// Context or the ExprEnv does), and it never touches a process. It does not import Starlark. Addresses it takes and returns for
// code are link-time addresses; the caller adds or subtracts the module's
// load bias (Env.Bias is added to DW_OP_addr).
//
// Limits: DWARF 4 and 5 as gcc and clang emit them for x86-64, 32-bit
// DWARF offsets in location lists, no split DWARF (.dwo files), no typed
// stack operations (DW_OP_convert, DW_OP_regval_type, ...) and no
// DW_OP_call*: an expression that uses them is an *ExprError. An entry
// value (DW_OP_entry_value) or implicit pointer is reported optimized out. A
// declaration (an incomplete struct, union, class or enum) is resolved to
// a definition of the same name at the top level of any unit; types
// defined inside functions are found only through the entries that use
// them. Namespaces, templates and C++ member functions are not indexed or
// modelled yet; C++ classes, base classes and references are decoded but
// not yet checked against a C++ corpus.
package dwarfvars
