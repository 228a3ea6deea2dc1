// Package expr implements the Twilio TaskRouter expression language: the
// SQL-like boolean formulas used by TaskQueue target_workers, workflow filter
// and target expressions, skip_if, and the list endpoints'
// TargetWorkersExpression / EvaluateTaskAttributes / EvaluateWorkerAttributes.
//
// An expression is compiled once with [Parse] and then evaluated many times
// with [Expr.Eval] against a [Vars] (typically once per worker), so all
// reference paths are split at parse time and evaluation does not allocate.
// A compiled [Expr] is immutable and safe for concurrent use.
//
// Grammar (keywords are case-insensitive):
//
//	expr       = or
//	or         = and { ("OR" | "||") and }
//	and        = unary { ("AND" | "&&") unary }
//	unary      = "NOT" unary | "(" or ")" | comparison
//	comparison = operand op operand
//	op         = "==" | "=" | "!=" | "<" | ">" | "<=" | ">=" | "CONTAINS"
//	           | "HAS" | ">-" | "IN" | "<-" | "NOT" "IN"
//	operand    = reference | constant | "[" [constant {"," constant}] "]"
//	constant   = string | number | "true" | "false" | "null"
//	reference  = name { "." name | "[" digits "]" }
//
// Semantics follow section 2 of docs/taskrouter.md. In short: a missing
// reference is NULL and every comparison involving NULL is false, except that
// comparing with the null literal (x == null, x != null) is an existence
// test; comparisons between different types are false; scalar operators on
// arrays and array operators on scalars are false; strings compare
// case-sensitively.
package expr
