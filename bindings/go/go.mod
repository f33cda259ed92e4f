module github.com/tpauth/tpauth-go

go 1.21
