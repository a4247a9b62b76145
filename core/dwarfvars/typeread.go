package dwarfvars

import (
	"debug/dwarf"
	"fmt"
)

// DW_ATE_* base type encodings (DWARF 5, section 7.8).
const (
	ateAddress      = 0x1
	ateBoolean      = 0x2
	ateComplexFloat = 0x3
	ateFloat        = 0x4
	ateSigned       = 0x5
	ateSignedChar   = 0x6
	ateUnsigned     = 0x7
	ateUnsignedChar = 0x8
	ateUTF          = 0x10
)

// readType decodes the type entry at off, or returns it from the cache.
// d.mu is held. A type is cached before its children are read, so a
// struct that points to itself is read once.
func (d *Data) readType(off dwarf.Offset) (Type, error) {
	if t, ok := d.types[off]; ok {
		return t, nil
	}
	r := d.dw.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil || e.Offset != off {
		return nil, fmt.Errorf("no DWARF entry at offset %#x", off)
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	size, hasSize := e.Val(dwarf.AttrByteSize).(int64)
	if !hasSize {
		size = -1
	}
	goKind, isGo := e.Val(attrGoKind).(int64)
	if isGo {
		if t, err := d.readGoType(r, e, goKind); t != nil || err != nil {
			return t, err
		}
	}
	switch e.Tag {
	case dwarf.TagBaseType:
		enc, _ := e.Val(dwarf.AttrEncoding).(int64)
		t := &BaseType{Name: canonBaseName(name), K: encodingKind(enc), ByteSize: size,
			Unsigned: enc == ateUnsigned || enc == ateUnsignedChar || enc == ateUTF || enc == ateAddress || enc == ateBoolean}
		t.BitSize, _ = e.Val(dwarf.AttrBitSize).(int64)
		t.BitOffset, _ = e.Val(dwarf.AttrDataBitOffset).(int64)
		if isGo && (t.K == Int || t.K == Uint) {
			t.GoConsts = d.goConstants(off, name)
		}
		d.types[off] = t
		return t, nil

	case dwarf.TagUnspecifiedType:
		t := &UnspecifiedType{Name: name}
		d.types[off] = t
		return t, nil

	case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		if !hasSize {
			size = 8
		}
		t := &PointerType{ByteSize: size, Ref: e.Tag != dwarf.TagPointerType, RValue: e.Tag == dwarf.TagRvalueReferenceType}
		if isGo {
			t.GoName = name
		}
		d.types[off] = t
		t.Elem, err = d.typeOf(e)
		return t, err

	case dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
		q := map[dwarf.Tag]string{dwarf.TagConstType: "const", dwarf.TagVolatileType: "volatile", dwarf.TagRestrictType: "restrict", dwarf.TagAtomicType: "_Atomic"}[e.Tag]
		t := &QualType{Qual: q}
		d.types[off] = t
		t.Type, err = d.typeOf(e)
		return t, err

	case dwarf.TagTypedef:
		t := &TypedefType{Name: name}
		d.types[off] = t
		t.Type, err = d.typeOf(e)
		return t, err

	case dwarf.TagArrayType:
		t, err := d.readArray(r, e)
		if a, ok := t.(*ArrayType); ok && isGo {
			a.GoName = name
		}
		return t, err

	case dwarf.TagStructType, dwarf.TagUnionType, dwarf.TagClassType:
		if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); decl {
			return d.resolveDecl(e, tagKeyword(e.Tag)+" "+name, func() Type {
				return &StructType{K: structKind(e.Tag), Tag: name, ByteSize: -1, Incomplete: true}
			})
		}
		t := &StructType{K: structKind(e.Tag), Tag: name, ByteSize: size, Go: isGo}
		if !isGo {
			t.Tag, t.CPlusPlus = d.cppTag(off, name)
		}
		d.types[off] = t
		return t, d.readFields(r, e, t)

	case dwarf.TagEnumerationType:
		if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); decl {
			return d.resolveDecl(e, "enum "+name, func() Type {
				return &EnumType{Tag: name, ByteSize: -1, Incomplete: true}
			})
		}
		t := &EnumType{Tag: name, ByteSize: size}
		t.Tag, t.CPlusPlus = d.cppTag(off, name)
		d.types[off] = t
		if e.Val(dwarf.AttrType) != nil {
			under, err := d.typeOf(e)
			if err != nil {
				return nil, err
			}
			t.Unsigned = Underlying(under).Kind() == Uint || Underlying(under).Kind() == Bool
		}
		return t, d.readEnumerators(r, e, t)

	case dwarf.TagSubroutineType:
		t := &FuncType{}
		t.Prototyped, _ = e.Val(dwarf.AttrPrototyped).(bool)
		d.types[off] = t
		if t.Return, err = d.typeOf(e); err != nil {
			return nil, err
		}
		return t, d.readParams(r, e, t)
	}
	return nil, fmt.Errorf("DWARF entry at %#x is a %v, not a type", off, e.Tag)
}

// cppTag returns the qualified name of the C++ type at off and true, or
// name and false for a type of C (or one the name index does not hold:
// a type local to a function).
func (d *Data) cppTag(off dwarf.Offset, name string) (string, bool) {
	idx, err := d.names()
	if err != nil {
		return name, false
	}
	if q, ok := idx.cppTags[off]; ok {
		return q, true
	}
	return name, false
}

// typeOf returns the type that e's DW_AT_type names, or void if it has
// none (the pointee of void *, the result of a void function).
func (d *Data) typeOf(e *dwarf.Entry) (Type, error) {
	off, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
	if !ok {
		return &VoidType{}, nil
	}
	return d.readType(off)
}

// resolveDecl returns the definition of the declared type key from the
// top level of any unit, or the incomplete type that incomplete makes.
func (d *Data) resolveDecl(e *dwarf.Entry, key string, incomplete func() Type) (Type, error) {
	idx, err := d.names()
	if err != nil {
		return nil, err
	}
	if defs := idx.types[key]; len(defs) > 0 {
		t, err := d.readType(defs[0])
		if err != nil {
			return nil, err
		}
		d.types[e.Offset] = t
		return t, nil
	}
	t := incomplete()
	d.types[e.Offset] = t
	return t, nil
}

// children calls f for each child entry of e, read from r positioned just
// after e, and skips the children of each child.
func children(r *dwarf.Reader, e *dwarf.Entry, f func(c *dwarf.Entry) error) error {
	if !e.Children {
		return nil
	}
	for {
		c, err := r.Next()
		if err != nil {
			return err
		}
		if c == nil || c.Tag == 0 {
			return nil
		}
		if err := f(c); err != nil {
			return err
		}
		if c.Children {
			skipChildren(r, c)
		}
	}
}

// readArray decodes an array type: one dimension per DW_TAG_subrange_type
// child, the first outermost.
func (d *Data) readArray(r *dwarf.Reader, e *dwarf.Entry) (Type, error) {
	outer := &ArrayType{Len: -1}
	d.types[e.Offset] = outer
	elem, err := d.typeOf(e)
	if err != nil {
		return nil, err
	}
	var dims []int64
	err = children(r, e, func(c *dwarf.Entry) error {
		if c.Tag != dwarf.TagSubrangeType && c.Tag != dwarf.TagEnumerationType {
			return nil
		}
		n := int64(-1)
		if count, ok := c.Val(dwarf.AttrCount).(int64); ok {
			n = count
		} else if ub, ok := c.Val(dwarf.AttrUpperBound).(int64); ok {
			lb, _ := c.Val(dwarf.AttrLowerBound).(int64)
			n = ub - lb + 1
		}
		dims = append(dims, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dims) == 0 {
		dims = []int64{-1}
	}
	for i := len(dims) - 1; i > 0; i-- {
		elem = &ArrayType{Elem: elem, Len: dims[i]}
	}
	outer.Elem, outer.Len = elem, dims[0]
	return outer, nil
}

// readFields decodes the members and base classes of a struct, union or
// class.
func (d *Data) readFields(r *dwarf.Reader, e *dwarf.Entry, t *StructType) error {
	return children(r, e, func(c *dwarf.Entry) error {
		if c.Tag != dwarf.TagMember && c.Tag != dwarf.TagInheritance {
			return nil
		}
		if ext, _ := c.Val(dwarf.AttrExternal).(bool); ext {
			return nil // a C++ static member (DWARF 4), not part of the object
		}
		ft, err := d.typeOf(c)
		if err != nil {
			return err
		}
		f := Field{Type: ft, Base: c.Tag == dwarf.TagInheritance}
		switch emb := c.Val(attrGoEmbeddedField).(type) {
		case int64:
			f.Embedded = emb != 0
		case bool:
			f.Embedded = emb
		}
		f.Name, _ = c.Val(dwarf.AttrName).(string)
		if f.Base {
			f.Name = typeTag(ft)
		}
		switch loc := c.Val(dwarf.AttrDataMemberLoc).(type) {
		case int64:
			f.Offset = loc
		case []byte:
			// DWARF 2 style: DW_OP_plus_uconst n.
			if len(loc) > 1 && loc[0] == 0x23 {
				n, _, _ := readULEB(loc[1:])
				f.Offset = int64(n)
			}
		}
		if bits, ok := c.Val(dwarf.AttrBitSize).(int64); ok {
			f.BitSize = bits
			var start int64 // bit offset from the start of the object
			if dbo, ok := c.Val(dwarf.AttrDataBitOffset).(int64); ok {
				start = dbo
			} else if bo, ok := c.Val(dwarf.AttrBitOffset).(int64); ok {
				// DWARF 2 and 3: counted from the most significant bit of
				// a storage unit of DW_AT_byte_size at the member location.
				unit, ok := c.Val(dwarf.AttrByteSize).(int64)
				if !ok {
					unit = ft.Size()
				}
				start = f.Offset*8 + unit*8 - bo - bits
			}
			f.Offset, f.BitOffset = start/8, start%8
		}
		t.Fields = append(t.Fields, f)
		return nil
	})
}

// typeTag returns the tag or name of a class, for the name of a base.
func typeTag(t Type) string {
	switch u := t.(type) {
	case *StructType:
		return u.Tag
	case *TypedefType:
		return u.Name
	}
	return t.String()
}

func (d *Data) readEnumerators(r *dwarf.Reader, e *dwarf.Entry, t *EnumType) error {
	return children(r, e, func(c *dwarf.Entry) error {
		if c.Tag != dwarf.TagEnumerator {
			return nil
		}
		en := Enumerator{}
		en.Name, _ = c.Val(dwarf.AttrName).(string)
		switch v := c.Val(dwarf.AttrConstValue).(type) {
		case int64:
			en.Value = v
		case uint64:
			en.Value = int64(v)
		}
		t.Enumerators = append(t.Enumerators, en)
		return nil
	})
}

func (d *Data) readParams(r *dwarf.Reader, e *dwarf.Entry, t *FuncType) error {
	return children(r, e, func(c *dwarf.Entry) error {
		switch c.Tag {
		case dwarf.TagFormalParameter:
			pt, err := d.typeOf(c)
			if err != nil {
				return err
			}
			t.Params = append(t.Params, pt)
		case dwarf.TagUnspecifiedParameters:
			t.Variadic = true
		}
		return nil
	})
}

func structKind(tag dwarf.Tag) Kind {
	switch tag {
	case dwarf.TagUnionType:
		return Union
	case dwarf.TagClassType:
		return Class
	}
	return Struct
}

func encodingKind(enc int64) Kind {
	switch enc {
	case ateBoolean:
		return Bool
	case ateFloat:
		return Float
	case ateComplexFloat:
		return Complex
	case ateSigned:
		return Int
	case ateSignedChar, ateUnsignedChar, ateUTF:
		return Char
	case ateUnsigned, ateAddress:
		return Uint
	}
	return Invalid
}
