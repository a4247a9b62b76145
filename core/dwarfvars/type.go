package dwarfvars

// A Kind says what a Type is. Callers switch on it rather than on the
// concrete type, so that other languages' types can share a kind.
type Kind uint8

const (
	Invalid Kind = iota
	Void
	Bool
	Int  // signed integer
	Uint // unsigned integer
	Char // a character type: char, signed char, unsigned char, char16_t...
	Float
	Complex
	Pointer
	Reference // a C++ lvalue or rvalue reference
	Array
	Struct
	Union
	Class
	Enum
	Func
	Typedef
	Const
	Volatile
	Unspecified // a named type with no other description (C++'s decltype(nullptr))
	String      // a Go string
	Slice       // a Go slice
	Map         // a Go map
	Interface   // a Go interface (any, error, non-empty ones)
	Chan        // a Go channel
)

var kindNames = [...]string{
	Invalid:     "invalid",
	Void:        "void",
	Bool:        "bool",
	Int:         "int",
	Uint:        "uint",
	Char:        "char",
	Float:       "float",
	Complex:     "complex",
	Pointer:     "pointer",
	Reference:   "reference",
	Array:       "array",
	Struct:      "struct",
	Union:       "union",
	Class:       "class",
	Enum:        "enum",
	Func:        "func",
	Typedef:     "typedef",
	Const:       "const",
	Volatile:    "volatile",
	Unspecified: "unspecified",
	String:      "string",
	Slice:       "slice",
	Map:         "map",
	Interface:   "interface",
	Chan:        "chan",
}

// String returns the kind's lowercase name ("int", "uint", "pointer", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// A Type is the type of a value of the program.
type Type interface {
	// Kind says which kind of type this is.
	Kind() Kind
	// Size is the size of a value in bytes, or -1 when it has none
	// (void, a function, an array of unknown length, an incomplete type).
	Size() int64
	// String renders the type as C declares it without a name, as gdb's
	// whatis does: "struct order", "order_t", "char *", "int [4]",
	// "int (*)(int, int)".
	String() string
}

// A BaseType is a scalar type named by the compiler: an integer, a
// character, a boolean, a floating-point or complex number.
type BaseType struct {
	Name     string // canonical C spelling: "unsigned long", not "long unsigned int"
	K        Kind
	ByteSize int64
	Unsigned bool // an unsigned integer or character (char is signed on x86-64)
	// BitSize and BitOffset are set for a base type that occupies part of
	// its bytes (rare outside bitfields).
	BitSize, BitOffset int64
	// GoConsts are the constants of a Go integer type of a package
	// (main.Weekday), by value, for printing values as Delve does.
	GoConsts []Enumerator
}

// VoidType is C's void: the pointee of void * and the result of a
// function that returns nothing.
type VoidType struct{}

// An UnspecifiedType is a named type DWARF does not describe further.
type UnspecifiedType struct{ Name string }

// A PointerType is a pointer or, for Kind Reference, a C++ reference.
type PointerType struct {
	Elem     Type
	ByteSize int64
	Ref      bool   // a C++ reference (lvalue or rvalue)
	RValue   bool   // an rvalue reference (&&)
	GoName   string // the name of a Go pointer type ("*main.Order"), "" in C
}

// A QualType is a qualified type: Kind Const for const, and Kind
// Volatile for volatile and for the qualifiers that do not change how a
// debugger reads the value (restrict, _Atomic), which Qual names.
type QualType struct {
	Qual string // "const", "volatile", "restrict" or "_Atomic"
	Type Type
}

// A TypedefType is a name for another type.
type TypedefType struct {
	Name string
	Type Type
}

// An ArrayType is an array. A multi-dimensional array is an array of
// arrays: int[2][3] is an ArrayType of Len 2 whose Elem is int[3].
type ArrayType struct {
	Elem Type
	Len  int64 // number of elements, or -1 for a flexible or unknown-length array
	// GoName is the name of a Go array type ("[3]int8"), "" in C.
	GoName string
}

// A Field is a member of a struct, union or class, or one of its base
// classes.
type Field struct {
	Name   string // "" for an anonymous struct or union member
	Type   Type
	Offset int64 // byte offset from the start of the enclosing object
	// BitSize is the width of a bitfield, 0 for other members.
	// BitOffset is then the offset of its least significant bit from the
	// start of the byte at Offset (x86-64 is little-endian).
	BitSize, BitOffset int64
	Base               bool // a C++ base class, not a member
	Embedded           bool // a Go embedded field, whose fields and methods are promoted
}

// A StructType is a struct, union or C++ class (see Kind).
type StructType struct {
	K        Kind   // Struct, Union or Class
	Tag      string // "" for an anonymous struct
	ByteSize int64
	Fields   []Field
	// Incomplete is true for a declaration whose definition was not found.
	Incomplete bool
	// CPlusPlus is true for a type of C++, where Tag is qualified
	// (ns::inner::T) and the type is named without its keyword.
	CPlusPlus bool
	// Go is true for a struct of Go, where Tag is its Go name
	// ("main.Order", "struct { F uintptr }").
	Go bool
}

// An Enumerator is one named value of an enum.
type Enumerator struct {
	Name  string
	Value int64
}

// An EnumType is an enumeration.
type EnumType struct {
	Tag         string
	ByteSize    int64
	Unsigned    bool // its values are unsigned (DW_AT_type is an unsigned type)
	Enumerators []Enumerator
	Incomplete  bool
	CPlusPlus   bool // as StructType's
}

// A FuncType is the type of a function (not of a pointer to one).
type FuncType struct {
	Return     Type // VoidType for a function that returns nothing
	Params     []Type
	Variadic   bool
	Prototyped bool // declared with a prototype: "f(void)" rather than "f()"
}

func (t *BaseType) Kind() Kind       { return t.K }
func (t *BaseType) Size() int64      { return t.ByteSize }
func (*VoidType) Kind() Kind         { return Void }
func (*VoidType) Size() int64        { return -1 }
func (*UnspecifiedType) Kind() Kind  { return Unspecified }
func (*UnspecifiedType) Size() int64 { return -1 }
func (t *TypedefType) Kind() Kind    { return Typedef }
func (t *TypedefType) Size() int64   { return t.Type.Size() }
func (t *StructType) Kind() Kind     { return t.K }
func (t *StructType) Size() int64    { return t.ByteSize }
func (*EnumType) Kind() Kind         { return Enum }
func (t *EnumType) Size() int64      { return t.ByteSize }
func (*FuncType) Kind() Kind         { return Func }
func (*FuncType) Size() int64        { return -1 }
func (t *QualType) Size() int64      { return t.Type.Size() }
func (t *PointerType) Size() int64   { return t.ByteSize }
func (t *ArrayType) Kind() Kind      { return Array }
func (t *PointerType) Kind() Kind {
	if t.Ref {
		return Reference
	}
	return Pointer
}

// Kind returns Const for const and Volatile for every other qualifier.
func (t *QualType) Kind() Kind {
	if t.Qual == "const" {
		return Const
	}
	return Volatile
}

// Size returns Len times the element's size, or -1 when either is unknown.
func (t *ArrayType) Size() int64 {
	es := t.Elem.Size()
	if t.Len < 0 || es < 0 {
		return -1
	}
	return t.Len * es
}

// Underlying returns t with its typedefs and qualifiers removed: the type
// that says how a value is laid out.
func Underlying(t Type) Type {
	for {
		switch u := t.(type) {
		case *TypedefType:
			t = u.Type
		case *QualType:
			t = u.Type
		default:
			return t
		}
	}
}
