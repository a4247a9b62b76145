package dwarfvars

import (
	"debug/dwarf"
	"fmt"
	"sync"
)

// A unit is one compilation unit, as the name index saw its top entry.
type unit struct {
	off  dwarf.Offset // of the DW_TAG_compile_unit entry
	name string       // DW_AT_name, the primary source file
	lang int64        // DW_AT_language
	// ranges are the unit's code addresses (link-time), from DW_AT_ranges
	// or DW_AT_low_pc and DW_AT_high_pc.
	ranges [][2]uint64

	version      int    // DWARF version of the unit
	lowPC        uint64 // DW_AT_low_pc: the base address of its location lists
	addrBase     int64  // DW_AT_addr_base
	loclistsBase int64  // DW_AT_loclists_base

	// files are the file table of its line program, for DW_AT_call_file
	// (read with d.mu held, once filesRead).
	files     []*dwarf.LineFile
	filesRead bool

	funcsOnce sync.Once
	funcs     []funcRange // its functions, by lo; built on the first pc lookup in the unit
	funcsErr  error
}

// langGo is DW_LANG_Go.
const langGo = 0x16

// cplusplus reports whether the unit is C++ (where a class or struct is
// also known by its bare tag).
func (u *unit) cplusplus() bool {
	switch u.lang {
	case 0x4, 0x19, 0x1a, 0x21, 0x2a, 0x2b, 0x2c: // C++, C++03, C++11, C++14, C++17, C++20, C++23
		return true
	}
	return false
}

// A nameIndex maps names to the top-level entries that define them. It is
// built from the top-level entries of each unit, the entries of C++
// namespaces (by qualified name: ns::inner::T) and the static members of
// C++ classes (Leaf::instances): other children are skipped.
type nameIndex struct {
	units []*unit
	types map[string][]dwarf.Offset // definitions by C name: "struct order", "order_t", "unsigned int"
	decls map[string][]dwarf.Offset // declarations (incomplete types) by C name
	vars  map[string][]varRef       // variables defined at the top level of a unit
	// cppTags are the qualified names of the tagged types of C++ units
	// (ns::inner::T), which C++ names without their keyword.
	cppTags map[dwarf.Offset]string
	// goTypes are the types of Go units by their Go names.
	goTypes map[string][]dwarf.Offset
	// goRuntime are the types of Go units by the offset of their runtime
	// type descriptor in the module's types section.
	goRuntime map[uint64]dwarf.Offset
	// goConsts are the constants of Go units by the offset of their type.
	goConsts map[dwarf.Offset][]Enumerator
}

// A varRef is a variable defined at the top level of a unit.
type varRef struct {
	off      dwarf.Offset
	unit     int  // index in units
	external bool // a global, rather than a static of its unit
}

// names returns the name index, building it on first use.
func (d *Data) names() (*nameIndex, error) {
	d.indexOnce.Do(func() {
		d.index, d.indexErr = buildIndex(d.dw, unitVersions(d.sec.Info))
		if d.indexErr != nil {
			d.indexErr = fmt.Errorf("reading DWARF names: %w", d.indexErr)
		}
	})
	return d.index, d.indexErr
}

func buildIndex(dw *dwarf.Data, versions map[dwarf.Offset]int) (*nameIndex, error) {
	idx := &nameIndex{types: map[string][]dwarf.Offset{}, decls: map[string][]dwarf.Offset{}, vars: map[string][]varRef{}, cppTags: map[dwarf.Offset]string{}, goTypes: map[string][]dwarf.Offset{}, goRuntime: map[uint64]dwarf.Offset{}, goConsts: map[dwarf.Offset][]Enumerator{}}
	r := dw.Reader()
	var cu *unit
	// scopes are the C++ namespaces and classes being read, innermost
	// last; qualified maps the declarations read in them (ns::counter,
	// Leaf::instances) to their qualified names, which the definitions
	// outside them (DW_AT_specification) take.
	var scopes []string
	qualified := map[dwarf.Offset]string{}
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return idx, nil
		}
		switch e.Tag {
		case 0:
			if len(scopes) > 0 {
				scopes = scopes[:len(scopes)-1]
			}
			continue // the end of a unit's, a namespace's or a class's children
		case dwarf.TagCompileUnit, dwarf.TagPartialUnit:
			name, _ := e.Val(dwarf.AttrName).(string)
			lang, _ := e.Val(dwarf.AttrLanguage).(int64)
			ranges, err := dw.Ranges(e)
			if err != nil {
				return nil, err
			}
			cu = &unit{off: e.Offset, name: name, lang: lang, ranges: ranges, version: versions[e.Offset]}
			cu.lowPC, _ = e.Val(dwarf.AttrLowpc).(uint64)
			cu.addrBase, _ = e.Val(dwarf.AttrAddrBase).(int64)
			cu.loclistsBase, _ = e.Val(dwarf.AttrLoclistsBase).(int64)
			idx.units = append(idx.units, cu)
			scopes = scopes[:0]
			continue // its children are the top-level entries
		case dwarf.TagTypeUnit:
			if e.Children {
				skipChildren(r, e)
			}
			continue
		}
		prefix := ""
		if len(scopes) > 0 {
			prefix = scopes[len(scopes)-1] + "::"
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch {
		case e.Tag == dwarf.TagNamespace:
			if e.Children {
				if name == "" {
					name = "(anonymous namespace)"
				}
				scopes = append(scopes, prefix+name)
			}
			continue // its children are read as top-level entries, qualified
		case e.Tag == dwarf.TagVariable && len(scopes) > 0 && isDecl(e) && name != "":
			qualified[e.Offset] = prefix + name
		case e.Tag == dwarf.TagMember && len(scopes) > 0 && isDecl(e) && name != "":
			qualified[e.Offset] = prefix + name // a static member in DWARF 4
		case e.Tag == dwarf.TagVariable:
			if err := idx.addVar(dw, e, len(idx.units)-1, prefix, qualified); err != nil {
				return nil, err
			}
		default:
			idx.add(e, cu, prefix)
		}
		if !e.Children {
			continue
		}
		if isClass(e.Tag) && cu != nil && cu.cplusplus() && name != "" && len(scopes) < maxScopeDepth {
			scopes = append(scopes, prefix+name) // for its static members' names
			continue
		}
		skipChildren(r, e)
	}
}

// maxScopeDepth bounds the nesting of namespaces and classes the index
// follows for names.
const maxScopeDepth = 64

func isDecl(e *dwarf.Entry) bool {
	decl, _ := e.Val(dwarf.AttrDeclaration).(bool)
	return decl
}

func isClass(tag dwarf.Tag) bool {
	return tag == dwarf.TagStructType || tag == dwarf.TagClassType || tag == dwarf.TagUnionType
}

// add records one top-level entry.
func (idx *nameIndex) add(e *dwarf.Entry, cu *unit, prefix string) {
	name, _ := e.Val(dwarf.AttrName).(string)
	if name == "" {
		return
	}
	name = prefix + name
	decl, _ := e.Val(dwarf.AttrDeclaration).(bool)
	var keys []string
	if cu != nil && cu.lang == langGo {
		idx.addGo(e, name, decl)
		return
	}
	switch e.Tag {
	case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagClassType, dwarf.TagEnumerationType:
		keys = append(keys, tagKeyword(e.Tag)+" "+name)
		if cu != nil && cu.cplusplus() {
			keys = append(keys, name)
			idx.cppTags[e.Offset] = name
		}
	case dwarf.TagTypedef, dwarf.TagUnspecifiedType:
		keys = append(keys, name)
	case dwarf.TagBaseType:
		keys = append(keys, canonBaseName(name))
	default:
		return
	}
	m := idx.types
	if decl {
		m = idx.decls
	}
	for _, k := range keys {
		m[k] = append(m[k], e.Offset)
	}
}

// tagKeyword returns the C keyword of a tagged type's entry.
func tagKeyword(tag dwarf.Tag) string {
	switch tag {
	case dwarf.TagUnionType:
		return "union"
	case dwarf.TagClassType:
		return "class"
	case dwarf.TagEnumerationType:
		return "enum"
	}
	return "struct"
}

// addVar records a variable defined at the top level of unit u. A
// definition that completes a declaration (DW_AT_specification) takes its
// name and linkage from the declaration; a declaration alone (extern int x;)
// defines nothing.
func (idx *nameIndex) addVar(dw *dwarf.Data, e *dwarf.Entry, u int, prefix string, qualified map[dwarf.Offset]string) error {
	if isDecl(e) {
		return nil
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	if name != "" {
		name = prefix + name
	}
	external, _ := e.Val(dwarf.AttrExternal).(bool)
	if spec, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
		r := dw.Reader()
		r.Seek(spec)
		s, err := r.Next()
		if err != nil {
			return err
		}
		if s != nil {
			if name == "" {
				name = qualified[spec]
			}
			if name == "" {
				name, _ = s.Val(dwarf.AttrName).(string)
			}
			if ext, _ := s.Val(dwarf.AttrExternal).(bool); ext {
				external = true
			}
		}
	}
	if name == "" {
		return nil
	}
	idx.vars[name] = append(idx.vars[name], varRef{off: e.Offset, unit: u, external: external})
	return nil
}

// skipChildren moves r, positioned after e, past e's children: straight
// to e's sibling when e says where it is (gcc and clang write
// DW_AT_sibling), and otherwise by reading them.
func skipChildren(r *dwarf.Reader, e *dwarf.Entry) {
	if sib, ok := e.Val(dwarf.AttrSibling).(dwarf.Offset); ok && sib > e.Offset {
		r.Seek(sib)
		return
	}
	r.SkipChildren()
}
