package dwarfvars

import (
	"debug/dwarf"
	"fmt"
	"strings"
)

// A VarKind says where a variable is declared.
type VarKind uint8

const (
	Local  VarKind = iota // a local variable of a function or block (including a function's statics)
	Param                 // a formal parameter
	Static                // a variable at file scope, static to its unit
	Global                // a variable at file scope with external linkage
)

func (k VarKind) String() string {
	switch k {
	case Local:
		return "local"
	case Param:
		return "param"
	case Static:
		return "static"
	}
	return "global"
}

// A Variable is a named object of the program as DWARF declares it: its
// type and where to find it (see Location). It says nothing of its value.
type Variable struct {
	Name string
	Type Type
	Kind VarKind
	// Unit is the primary source file of the compilation unit that
	// declares it ("src/server.c"), which tells statics of the same name
	// apart.
	Unit   string
	Offset dwarf.Offset // of its DW_TAG_variable or DW_TAG_formal_parameter entry
	// Result is set for a result of a Go function, which Go's DWARF
	// lists with the parameters (DW_AT_variable_parameter).
	Result bool

	declOff    dwarf.Offset // of the entry that declares it (its abstract origin, if any): orders declarations
	loc        dwarf.Field  // DW_AT_location; Attr is 0 when there is none
	constValue any          // DW_AT_const_value (int64, uint64 or []byte), or nil
	u          *unit
	// escaped is a Go variable that escaped to the heap: DWARF names it
	// "&x" and gives the place of a pointer to it; Name is "x", Type its
	// type, and Location reads the pointer.
	escaped bool
}

// HasLocation reports whether the variable has a location or a constant
// value. A variable without either is optimized out everywhere.
func (v *Variable) HasLocation() bool {
	return v.loc.Attr != 0 || v.constValue != nil
}

// entryAt reads the entry at off.
func (d *Data) entryAt(off dwarf.Offset) (*dwarf.Entry, error) {
	r := d.dw.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil || e.Offset != off {
		return nil, fmt.Errorf("no DWARF entry at offset %#x", off)
	}
	return e, nil
}

// origin returns the entries that describe e: e itself, then the entries
// its DW_AT_abstract_origin and DW_AT_specification lead to (a concrete
// instance of an inlined function's variable takes its name and type from
// the abstract one).
func (d *Data) origin(e *dwarf.Entry) ([]*dwarf.Entry, error) {
	chain := []*dwarf.Entry{e}
	for len(chain) < 8 {
		last := chain[len(chain)-1]
		off, ok := last.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		if !ok {
			off, ok = last.Val(dwarf.AttrSpecification).(dwarf.Offset)
		}
		if !ok {
			break
		}
		o, err := d.entryAt(off)
		if err != nil {
			return nil, err
		}
		chain = append(chain, o)
	}
	return chain, nil
}

// attr returns the first value of attribute a along an origin chain.
func attr(chain []*dwarf.Entry, a dwarf.Attr) any {
	for _, e := range chain {
		if v := e.Val(a); v != nil {
			return v
		}
	}
	return nil
}

// readVar makes a Variable of a DW_TAG_variable or DW_TAG_formal_parameter
// entry of unit u. d.mu is held.
func (d *Data) readVar(e *dwarf.Entry, kind VarKind, u *unit) (*Variable, error) {
	chain, err := d.origin(e)
	if err != nil {
		return nil, err
	}
	v := &Variable{Kind: kind, Offset: e.Offset, u: u, constValue: attr(chain, dwarf.AttrConstValue)}
	if u != nil {
		v.Unit = u.name
	}
	v.Name, _ = attr(chain, dwarf.AttrName).(string)
	v.declOff = chain[len(chain)-1].Offset
	if out, _ := attr(chain, dwarf.AttrVarParam).(bool); out && kind == Param && u != nil && u.lang == langGo {
		v.Result = true
	}
	if f := e.AttrField(dwarf.AttrLocation); f != nil {
		v.loc = *f
	}
	if off, ok := attr(chain, dwarf.AttrType).(dwarf.Offset); ok {
		if v.Type, err = d.readType(off); err != nil {
			return nil, err
		}
	} else {
		v.Type = &VoidType{}
	}
	if u != nil && u.lang == langGo && len(v.Name) > 1 && v.Name[0] == '&' {
		if pt, ok := v.Type.(*PointerType); ok {
			v.Name, v.Type, v.escaped = v.Name[1:], pt.Elem, true
		}
	}
	return v, nil
}

// A NotFoundError is the error of a lookup of a variable that is not in
// scope. Suggestions are the names in scope closest to Name, best first.
type NotFoundError struct {
	Name        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no variable %q in scope", e.Name)
	if len(e.Suggestions) > 0 {
		q := make([]string, len(e.Suggestions))
		for i, s := range e.Suggestions {
			q[i] = fmt.Sprintf("%q", s)
		}
		msg += " (did you mean " + strings.Join(q, " or ") + "?)"
	}
	return msg
}

// Globals returns the variables defined at file scope with this name in
// every unit: the global, and the statics of each unit, in unit order.
func (d *Data) Globals(name string) ([]*Variable, error) {
	idx, err := d.names()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var vs []*Variable
	for _, ref := range idx.vars[name] {
		v, err := d.topVar(idx, ref)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// topVar reads a variable of the name index. d.mu is held.
func (d *Data) topVar(idx *nameIndex, ref varRef) (*Variable, error) {
	e, err := d.entryAt(ref.off)
	if err != nil {
		return nil, err
	}
	kind := Static
	if ref.external {
		kind = Global
	}
	return d.readVar(e, kind, idx.units[ref.unit])
}
