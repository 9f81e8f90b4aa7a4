module github.com/gowaffle/waffle/openfeature

go 1.26.0

replace github.com/gowaffle/waffle => ../

require github.com/open-feature/go-sdk v1.20.0 // indirect
