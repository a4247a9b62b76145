package dwarfvars

import (
	"debug/dwarf"
	"errors"
	"sort"

	"stardbg/core/sym"
)

// ErrNoFunction is the error of a scope lookup at an address that no
// function with DWARF covers.
var ErrNoFunction = errors.New("no function with debug information at this address")

// funcRange is one address range of a concrete function.
type funcRange struct {
	lo, hi uint64
	off    dwarf.Offset
}

// A scope is a function, a lexical block or an inlined call, with the
// variables declared directly in it.
type scope struct {
	tag       dwarf.Tag
	ranges    [][2]uint64
	name      string // of the function (for a subprogram or an inlined call)
	callLine  int64  // of an inlined call, in the caller
	callFile  int64  // of an inlined call: index in the unit's line file table, -1 if none
	ret       Type   // the function's result type (a subprogram or an inlined call)
	vars      []*Variable
	kids      []*scope
	frameBase dwarf.Field // DW_AT_frame_base of a subprogram
}

func (s *scope) covers(pc uint64) bool {
	for _, r := range s.ranges {
		if r[0] <= pc && pc < r[1] {
			return true
		}
	}
	return false
}

// A Frame is one function activation at an address: a function, or a
// call to an inlined function that the compiler expanded in place.
type Frame struct {
	Function string
	Inlined  bool
	// CallLine is the line of the inlined call in its caller's source,
	// and CallFile that source's path ("" when unknown).
	CallLine int
	CallFile string
	// Return is the function's result type (VoidType for none).
	Return Type
	// Params are the formal parameters, in declaration order.
	Params []*Variable
	// Blocks are the locals in scope, by lexical block, innermost first,
	// each in declaration order. Blocks[len-1] are the function's own.
	Blocks [][]*Variable
	// Unit is the primary source file of the function's unit.
	Unit string

	u         *unit
	frameBase dwarf.Field // of the concrete function that holds the code
}

// FramesAt returns the frames that are active at link-time address pc,
// innermost first: the inlined calls that contain pc, then the function
// that holds its code. Locals of lexical blocks that do not contain pc
// are not in scope. The frames of a pc are made once and shared by later
// calls: callers must not change them. An address in no function with DWARF is
// ErrNoFunction.
func (d *Data) FramesAt(pc uint64) ([]*Frame, error) {
	idx, err := d.names()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if fs, ok := d.atPC[pc]; ok {
		return fs, nil
	}
	for _, u := range idx.units {
		if !(&scope{ranges: u.ranges}).covers(pc) {
			continue
		}
		fn, err := d.funcAt(u, pc)
		if err != nil {
			return nil, err
		}
		if fn == nil {
			continue
		}
		d.readLineFiles(u)
		fs := frames(fn, pc, u)
		if len(d.atPC) >= maxFramesCached {
			clear(d.atPC)
		}
		d.atPC[pc] = fs
		return fs, nil
	}
	return nil, ErrNoFunction
}

// readLineFiles reads the file table of u's line program once, for the
// call files of its inlined calls. A unit whose line program cannot be
// read has no call files. d.mu is held.
func (d *Data) readLineFiles(u *unit) {
	if u.filesRead {
		return
	}
	u.filesRead = true
	r := d.dw.Reader()
	r.Seek(u.off)
	cu, err := r.Next()
	if err != nil || cu == nil {
		return
	}
	if lr, err := d.dw.LineReader(cu); err == nil && lr != nil {
		u.files = lr.Files()
	}
}

// maxFramesCached bounds the pcs whose frames FramesAt keeps.
const maxFramesCached = 4096

// frames splits the chain of scopes that contain pc into frames.
func frames(fn *scope, pc uint64, u *unit) []*Frame {
	path := []*scope{fn}
	for s := fn; ; {
		var next *scope
		for _, k := range s.kids {
			if k.covers(pc) {
				next = k
				break
			}
		}
		if next == nil {
			break
		}
		path = append(path, next)
		s = next
	}
	var fs []*Frame
	var cur *Frame
	for _, s := range path {
		if s.tag != dwarf.TagLexDwarfBlock {
			cur = &Frame{Function: s.name, Inlined: s.tag == dwarf.TagInlinedSubroutine, CallLine: int(s.callLine), Return: s.ret,
				Unit: u.name, u: u, frameBase: fn.frameBase}
			if cur.Inlined && s.callFile >= 0 && s.callFile < int64(len(u.files)) && u.files[s.callFile] != nil {
				cur.CallFile = u.files[s.callFile].Name
			}
			fs = append(fs, cur)
		}
		var locals []*Variable
		for _, v := range s.vars {
			if v.Kind == Param {
				cur.Params = append(cur.Params, v)
			} else {
				locals = append(locals, v)
			}
		}
		cur.Blocks = append([][]*Variable{locals}, cur.Blocks...)
	}
	for i, j := 0, len(fs)-1; i < j; i, j = i+1, j-1 {
		fs[i], fs[j] = fs[j], fs[i]
	}
	return fs
}

// funcAt returns the scope tree of the function of unit u that holds pc,
// or nil. d.mu is held.
func (d *Data) funcAt(u *unit, pc uint64) (*scope, error) {
	u.funcsOnce.Do(func() { u.funcs, u.funcsErr = d.unitFuncs(u) })
	if u.funcsErr != nil {
		return nil, u.funcsErr
	}
	i := sort.Search(len(u.funcs), func(i int) bool { return u.funcs[i].lo > pc }) - 1
	if i < 0 || pc >= u.funcs[i].hi {
		return nil, nil
	}
	off := u.funcs[i].off
	if s := d.scopes[off]; s != nil {
		return s, nil
	}
	r := d.dw.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	s, err := d.readScope(r, e, u)
	if err != nil {
		return nil, err
	}
	d.scopes[off] = s
	return s, nil
}

// unitFuncs lists the address ranges of the functions of a unit, from
// its top-level entries (and those of its namespaces).
func (d *Data) unitFuncs(u *unit) ([]funcRange, error) {
	r := d.dw.Reader()
	r.Seek(u.off)
	cu, err := r.Next()
	if err != nil {
		return nil, err
	}
	var fs []funcRange
	var walk func(parent *dwarf.Entry) error
	walk = func(parent *dwarf.Entry) error {
		return children(r, parent, func(c *dwarf.Entry) error {
			switch c.Tag {
			case dwarf.TagSubprogram:
				ranges, err := d.dw.Ranges(c)
				if err != nil {
					return err
				}
				for _, rg := range ranges {
					if rg[0] < rg[1] {
						fs = append(fs, funcRange{lo: rg[0], hi: rg[1], off: c.Offset})
					}
				}
			case dwarf.TagNamespace:
				err := walk(c)
				c.Children = false // walk read them
				return err
			}
			return nil
		})
	}
	if err := walk(cu); err != nil {
		return nil, err
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].lo < fs[j].lo })
	return fs, nil
}

// readScope reads a subprogram, lexical block or inlined call entry e and
// its children from r, which is positioned after e. d.mu is held.
func (d *Data) readScope(r *dwarf.Reader, e *dwarf.Entry, u *unit) (*scope, error) {
	s := &scope{tag: e.Tag}
	ranges, err := d.dw.Ranges(e)
	if err != nil {
		return nil, err
	}
	for _, r := range ranges {
		if r[0] < r[1] {
			s.ranges = append(s.ranges, r)
		}
	}
	if e.Tag != dwarf.TagLexDwarfBlock {
		chain, err := d.origin(e)
		if err != nil {
			return nil, err
		}
		s.name, _ = attr(chain, dwarf.AttrName).(string)
		s.callLine, _ = e.Val(dwarf.AttrCallLine).(int64)
		s.callFile = -1
		if f, ok := e.Val(dwarf.AttrCallFile).(int64); ok {
			s.callFile = f
		}
		s.ret = &VoidType{}
		if off, ok := attr(chain, dwarf.AttrType).(dwarf.Offset); ok {
			if s.ret, err = d.readType(off); err != nil {
				return nil, err
			}
		}
		if f := e.AttrField(dwarf.AttrFrameBase); f != nil {
			s.frameBase = *f
		}
	}
	if !e.Children {
		return s, nil
	}
	for {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		if c == nil || c.Tag == 0 {
			// A concrete instance of an inlined function may list its
			// variables in another order than their declarations.
			sort.SliceStable(s.vars, func(i, j int) bool { return s.vars[i].declOff < s.vars[j].declOff })
			return s, nil
		}
		switch c.Tag {
		case dwarf.TagFormalParameter, dwarf.TagVariable:
			kind := Local
			if c.Tag == dwarf.TagFormalParameter {
				kind = Param
			}
			v, err := d.readVar(c, kind, u)
			if err != nil {
				return nil, err
			}
			if v.Name != "" {
				s.vars = append(s.vars, v)
			}
			if c.Children {
				skipChildren(r, c)
			}
		case dwarf.TagLexDwarfBlock, dwarf.TagInlinedSubroutine:
			k, err := d.readScope(r, c, u)
			if err != nil {
				return nil, err
			}
			s.kids = append(s.kids, k)
		default:
			if c.Children {
				skipChildren(r, c)
			}
		}
	}
}

// LookupVar returns the variable called name as seen from frame f: a
// local (innermost block first), a parameter, a static of f's unit, or a
// global, in that order. An unknown name is a *NotFoundError with the
// closest names in scope.
func (d *Data) LookupVar(f *Frame, name string) (*Variable, error) {
	for _, b := range f.Blocks {
		for _, v := range b {
			if v.Name == name {
				return v, nil
			}
		}
	}
	for _, v := range f.Params {
		if v.Name == name {
			return v, nil
		}
	}
	idx, err := d.names()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var global *varRef
	for i, ref := range idx.vars[name] {
		if !ref.external && idx.units[ref.unit] == f.u {
			return d.topVar(idx, ref)
		}
		if ref.external && global == nil {
			global = &idx.vars[name][i]
		}
	}
	if global != nil {
		return d.topVar(idx, *global)
	}
	return nil, &NotFoundError{Name: name, Suggestions: d.suggest(idx, f, name)}
}

// maxSuggestions bounds the names a NotFoundError lists.
const maxSuggestions = 3

// suggest returns the names in scope in f at the smallest edit distance
// from name, if it is small.
func (d *Data) suggest(idx *nameIndex, f *Frame, name string) []string {
	limit := min(max(len(name)/3, 1), 3)
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	seen := map[string]bool{}
	try := func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if dist := sym.EditDistance(name, n, limit); dist <= limit {
			cands = append(cands, cand{n, dist})
		}
	}
	for _, b := range f.Blocks {
		for _, v := range b {
			try(v.Name)
		}
	}
	for _, v := range f.Params {
		try(v.Name)
	}
	for n, refs := range idx.vars {
		for _, ref := range refs {
			if ref.external || idx.units[ref.unit] == f.u {
				try(n)
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for i := 0; i < len(cands) && i < maxSuggestions && cands[i].dist == cands[0].dist; i++ {
		out = append(out, cands[i].name)
	}
	return out
}
