// Package dwarfvars reads the program's data model from DWARF: the types
// of C (and C++) programs, and the names a debugger needs to find them.
// It is the layer under a debugger's "print": given a type name such as
// "struct order", "order_t", "unsigned int", "char *" or "int[4]", it
// returns a Type with its size, fields, offsets, bitfields, elements and
// enumerators, and renders it in C syntax as gdb's whatis and ptype do.
//
// Data wraps one file's *dwarf.Data (the caller opens the file, for
// example through core/sym's cache, so a file is never parsed twice).
// Nothing is read up front: the first lookup by name builds a name index
// from the top-level entries of each compilation unit only (their
// children are skipped by DW_AT_sibling), and a type is decoded from its
// entry on first use and cached by its offset, so a program with a large
// DWARF (python3, libc with libc6-dbg) costs one pass over top-level
// entries, not a decoding of every unit.
//
// Type is an interface with a Kind, not a closed set: C types are the
// concrete types of this package (BaseType, PointerType, StructType, ...),
// and Go's types (strings, slices, maps, interfaces) are meant to be added
// as further implementations that a caller switches on by Kind.
//
// The package is not for reading memory, evaluating expressions or
// formatting values, and it never touches a process. It does not import
// Starlark.
//
// Limits: DWARF 4 and 5 as gcc and clang emit them for x86-64. A
// declaration (an incomplete struct, union, class or enum) is resolved to
// a definition of the same name at the top level of any unit; types
// defined inside functions are found only through the entries that use
// them. Namespaces, templates and C++ member functions are not indexed or
// modelled yet (C++ classes, base classes and references are).
package dwarfvars
