//! The condition language: lexer and recursive-descent parser to an AST.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | primary
//! primary := "(" expr ")" | FIELD "exists" | FIELD binop value
//!          | FIELD listop "(" value ("," value)* ")" | MACRO
//! binop   := = | == | != | < | <= | > | >= | startswith | endswith | contains
//!          | icontains | glob
//! listop  := in | pmatch | startswith | endswith | contains | glob
//! ```
//! Positions are byte offsets into the condition text; the loader maps them to
//! file:line:column.

/// A byte offset into the condition string.
pub type Off = usize;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LParen,
    RParen,
    Comma,
    Op(CmpOp),
    Word(String),
    /// Quoted string: never a keyword, field or macro.
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Pmatch,
    StartsWith,
    EndsWith,
    Contains,
    IContains,
    Glob,
    Exists,
}

impl CmpOp {
    fn keyword(w: &str) -> Option<CmpOp> {
        Some(match w {
            "in" => CmpOp::In,
            "pmatch" => CmpOp::Pmatch,
            "startswith" => CmpOp::StartsWith,
            "endswith" => CmpOp::EndsWith,
            "contains" => CmpOp::Contains,
            "icontains" => CmpOp::IContains,
            "glob" => CmpOp::Glob,
            "exists" => CmpOp::Exists,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub text: String,
    /// Quoted values are never expanded as list names.
    pub quoted: bool,
    pub off: Off,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: String,
        field_off: Off,
        op: CmpOp,
        /// One value for scalar operators; any number in a parenthesised list.
        values: Vec<Value>,
        /// The values were written in parentheses (any-of semantics).
        list: bool,
    },
    Macro {
        name: String,
        off: Off,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub off: Off,
    pub msg: String,
}

fn err<T>(off: Off, msg: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        off,
        msg: msg.into(),
    })
}

pub fn lex(src: &str) -> Result<Vec<(Tok, Off)>, SyntaxError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, i));
                i += 1
            }
            b')' => {
                out.push((Tok::RParen, i));
                i += 1
            }
            b',' => {
                out.push((Tok::Comma, i));
                i += 1
            }
            b'=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                out.push((Tok::Op(CmpOp::Eq), start));
            }
            b'!' => {
                if b.get(i + 1) == Some(&b'=') {
                    out.push((Tok::Op(CmpOp::Ne), i));
                    i += 2;
                } else {
                    return err(i, "unexpected `!` (did you mean `!=` or `not`?)");
                }
            }
            b'<' | b'>' => {
                let eq = b.get(i + 1) == Some(&b'=');
                let op = match (c, eq) {
                    (b'<', false) => CmpOp::Lt,
                    (b'<', true) => CmpOp::Le,
                    (_, false) => CmpOp::Gt,
                    (_, true) => CmpOp::Ge,
                };
                out.push((Tok::Op(op), i));
                i += if eq { 2 } else { 1 };
            }
            b'"' | b'\'' => {
                let quote = c;
                i += 1;
                let mut s = Vec::new();
                loop {
                    match b.get(i) {
                        None => return err(start, "unterminated string"),
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            match b.get(i + 1) {
                                Some(&n) => s.push(n),
                                None => return err(start, "unterminated string"),
                            }
                            i += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                // Input was &str and we split only at ASCII bytes: still valid UTF-8.
                let s = String::from_utf8_lossy(&s).into_owned();
                out.push((Tok::Str(s), start));
            }
            _ => {
                while i < b.len()
                    && !matches!(
                        b[i],
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b'('
                            | b')'
                            | b','
                            | b'='
                            | b'<'
                            | b'>'
                            | b'"'
                            | b'\''
                    )
                    && !(b[i] == b'!' && b.get(i + 1) == Some(&b'='))
                {
                    i += 1;
                }
                out.push((Tok::Word(src[start..i].to_string()), start));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Off)>,
    pos: usize,
    end: Off,
}

pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return err(0, "empty condition");
    }
    let mut p = Parser {
        toks,
        pos: 0,
        end: src.len(),
    };
    let e = p.or()?;
    if let Some((t, off)) = p.toks.get(p.pos) {
        return err(
            *off,
            format!("unexpected {} after complete expression", describe(t)),
        );
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Op(op) => format!("operator {op:?}"),
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("string \"{s}\""),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn off(&self) -> Off {
        self.toks.get(self.pos).map(|t| t.1).unwrap_or(self.end)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut v = vec![self.and()?];
        while self.is_word("or") {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.pop().expect("one element")
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut v = vec![self.unary()?];
        while self.is_word("and") {
            self.pos += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.pop().expect("one element")
        } else {
            Expr::And(v)
        })
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let off = self.off();
        match self.peek().cloned() {
            None => err(off, "expected a condition, found end of input"),
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                match self.peek() {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => err(self.off(), "expected `)`"),
                }
            }
            Some(Tok::Word(w)) if matches!(w.as_str(), "and" | "or") => {
                err(off, format!("expected a condition before `{w}`"))
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let op = match self.peek() {
                    Some(Tok::Op(op)) => Some(*op),
                    Some(Tok::Word(k)) => CmpOp::keyword(k),
                    _ => None,
                };
                let Some(op) = op else {
                    return Ok(Expr::Macro { name: w, off });
                };
                self.pos += 1;
                if op == CmpOp::Exists {
                    return Ok(Expr::Cmp {
                        field: w,
                        field_off: off,
                        op,
                        values: vec![],
                        list: false,
                    });
                }
                let (values, list) = if matches!(self.peek(), Some(Tok::LParen)) {
                    (self.value_list()?, true)
                } else if matches!(op, CmpOp::In | CmpOp::Pmatch) {
                    return err(self.off(), format!("expected `(` after `{}`", op_name(op)));
                } else {
                    (vec![self.value()?], false)
                };
                if list
                    && matches!(
                        op,
                        CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge
                    )
                {
                    return err(
                        off,
                        format!("operator `{}` takes one value, not a list", op_name(op)),
                    );
                }
                Ok(Expr::Cmp {
                    field: w,
                    field_off: off,
                    op,
                    values,
                    list,
                })
            }
            Some(t) => err(
                off,
                format!("expected a field or macro, found {}", describe(&t)),
            ),
        }
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let off = self.off();
        match self.peek().cloned() {
            Some(Tok::Word(w)) if !matches!(w.as_str(), "and" | "or" | "not") => {
                self.pos += 1;
                Ok(Value {
                    text: w,
                    quoted: false,
                    off,
                })
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Value {
                    text: s,
                    quoted: true,
                    off,
                })
            }
            Some(t) => err(off, format!("expected a value, found {}", describe(&t))),
            None => err(off, "expected a value, found end of input"),
        }
    }

    fn value_list(&mut self) -> Result<Vec<Value>, SyntaxError> {
        self.pos += 1; // `(`
        let mut v = Vec::new();
        if matches!(self.peek(), Some(Tok::RParen)) {
            self.pos += 1;
            return Ok(v);
        }
        loop {
            v.push(self.value()?);
            match self.peek() {
                Some(Tok::Comma) => self.pos += 1,
                Some(Tok::RParen) => {
                    self.pos += 1;
                    return Ok(v);
                }
                _ => return err(self.off(), "expected `,` or `)` in value list"),
            }
        }
    }
}

pub fn op_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::In => "in",
        CmpOp::Pmatch => "pmatch",
        CmpOp::StartsWith => "startswith",
        CmpOp::EndsWith => "endswith",
        CmpOp::Contains => "contains",
        CmpOp::IContains => "icontains",
        CmpOp::Glob => "glob",
        CmpOp::Exists => "exists",
    }
}

/// Parse an operator name as written in exception `comps`.
pub fn op_from_str(s: &str) -> Option<CmpOp> {
    Some(match s {
        "=" | "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        other => return CmpOp::keyword(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_not_and_or() {
        let e = parse("a or not b and c").unwrap();
        let m = |n: &str, off| Expr::Macro {
            name: n.into(),
            off,
        };
        assert_eq!(
            e,
            Expr::Or(vec![
                m("a", 0),
                Expr::And(vec![Expr::Not(Box::new(m("b", 9))), m("c", 15)])
            ])
        );
    }

    #[test]
    fn comparisons_and_lists() {
        let e = parse("fd.name in (/etc/shadow, '/a b', x) and proc.pid>=3").unwrap();
        let Expr::And(v) = e else { panic!() };
        let Expr::Cmp {
            values, list, op, ..
        } = &v[0]
        else {
            panic!()
        };
        assert!(*list);
        assert_eq!(*op, CmpOp::In);
        assert_eq!(values.len(), 3);
        assert_eq!(values[1].text, "/a b");
        assert!(values[1].quoted);
        let Expr::Cmp { op, values, .. } = &v[1] else {
            panic!()
        };
        assert_eq!(*op, CmpOp::Ge);
        assert_eq!(values[0].text, "3");
        assert!(parse("fd.name exists").is_ok());
        assert!(parse("proc.name!=sh").is_ok());
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let cases = [
            ("", 0),
            ("(a and b", 8),
            ("a and", 5),
            ("fd.name in /etc", 11),
            ("fd.name = ", 10),
            ("a b", 2),
            ("fd.name = 'x", 10),
            ("and a", 0),
            ("proc.name ! sh", 10),
            ("proc.pid = (1, 2)", 0),
        ];
        for (src, off) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.off, off, "{src}: {}", e.msg);
        }
    }
}
