// Package asmgen holds the programs that generate the writer's assembly.
// Each subfolder is a program run by go generate from kernels/ (see the
// //go:generate lines there); its output is committed with a
// "Code generated ... DO NOT EDIT." header and checked by make
// check-generated. This is a module of its own so that avo never becomes a
// dependency of the writer's users.
package asmgen
