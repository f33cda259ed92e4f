//go:build !cgo

package tpauth

// tpauth is a cgo binding of the native library libtpauth, which this module carries prebuilt:
// it cannot be built with CGO_ENABLED=0 (Go's default when cross-compiling or when no C compiler
// is found). The type below is undefined on purpose: type declarations are checked first, so the
// compiler's first error names the fix instead of "undefined: Client".
type cgoRequired tpauth_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler__see_README
