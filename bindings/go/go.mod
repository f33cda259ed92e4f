module github.com/tpauth/tpauth/bindings/go

go 1.21
