//! Falco's condition language: parsing text into an AST.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | check | MACRO
//! check   := operand UNARY_OP | operand BINARY_OP value
//! operand := FIELD | TRANSFORMER "(" operand ")"
//! value   := STRING | WORD | "(" item ("," item)* ")" | "val(" operand ")" | TRANSFORMER "(" operand ")"
//! ```
//! Parsing never panics; errors carry the byte offset and what was expected.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    PMatch,
    In,
    Intersects,
    Regex,
    Exists,
}

impl Op {
    pub fn from_word(word: &str) -> Option<Op> {
        Some(match word {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "pmatch" => Op::PMatch,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "regex" => Op::Regex,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::PMatch => "pmatch",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::Regex => "regex",
            Op::Exists => "exists",
        }
    }

    /// Operators whose right side is a list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

impl Transformer {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "tolower" => Self::ToLower,
            "toupper" => Self::ToUpper,
            "b64" => Self::B64,
            "basename" => Self::Basename,
            "len" => Self::Len,
            _ => return None,
        })
    }
}

/// A field reference: `proc.aname[2]`, `tolower(proc.name)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    pub name: String,
    pub arg: Option<String>,
    /// Applied innermost first.
    pub transformers: Vec<Transformer>,
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in self.transformers.iter().rev() {
            write!(f, "{}(", format!("{t:?}").to_lowercase())?;
        }
        write!(f, "{}", self.name)?;
        if let Some(arg) = &self.arg {
            write!(f, "[{arg}]")?;
        }
        for _ in &self.transformers {
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A single literal (quoted or bare).
    Literal(String),
    /// `(a, b, c)`; bare items may name lists, expanded at compile time.
    List(Vec<ListItem>),
    /// `val(field)` or a transformed field: compare against another field.
    Field(FieldRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub text: String,
    /// Bare (unquoted) items may be list names.
    pub quoted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A macro name, with its offset in the condition text.
    Macro(String, usize),
    Check {
        field: FieldRef,
        op: Op,
        value: Option<Value>,
        at: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

/// Parses a whole condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { s: text, pos: 0, depth: 0 };
    let expr = p.expr()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error(format!("unexpected '{}'", p.peek_word_for_error())));
    }
    Ok(expr)
}

/// Parses a lone field reference (output formats, exception fields).
pub fn parse_field(text: &str) -> Result<FieldRef, ParseError> {
    let mut p = Parser { s: text, pos: 0, depth: 0 };
    let field = p.operand()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error(format!("unexpected '{}' after field", p.peek_word_for_error())));
    }
    Ok(field)
}

const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | ',' | '=' | '<' | '>' | '!' | '"' | '\'')
}

impl Parser<'_> {
    fn error(&self, message: String) -> ParseError {
        ParseError { offset: self.pos, message }
    }

    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_word_for_error(&self) -> String {
        self.rest().chars().take(20).collect()
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek_char() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A keyword only when followed by a non-word character.
    fn eat_keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with(kw) && !rest[kw.len()..].starts_with(is_word_char) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// A bare word; `[...]` sections (field arguments) may contain anything but `]`.
    fn word(&mut self) -> Option<String> {
        self.skip_ws();
        let rest = self.rest();
        let mut end = 0;
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '[' {
                if let Some(close) = rest[i..].find(']') {
                    end = i + close + 1;
                    while chars.next_if(|(j, _)| *j < end).is_some() {}
                    continue;
                }
            }
            if !is_word_char(c) {
                break;
            }
            end = i + c.len_utf8();
        }
        if end == 0 {
            return None;
        }
        let word = rest[..end].to_string();
        self.pos += end;
        Some(word)
    }

    fn quoted(&mut self) -> Result<Option<String>, ParseError> {
        self.skip_ws();
        let Some(q) = self.peek_char().filter(|c| *c == '"' || *c == '\'') else {
            return Ok(None);
        };
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            if c == q {
                self.pos += i + 1;
                return Ok(Some(out));
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, e)) if e == q || e == '\\' => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                }
            } else {
                out.push(c);
            }
        }
        self.pos = start;
        Err(self.error("unterminated string".into()))
    }

    fn operator(&mut self) -> Option<Op> {
        self.skip_ws();
        for sym in ["==", "!=", "<=", ">=", "=", "<", ">"] {
            if self.rest().starts_with(sym) {
                self.pos += sym.len();
                return Op::from_word(sym);
            }
        }
        let save = self.pos;
        let word = self.word()?;
        match Op::from_word(&word) {
            Some(op) if !matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) => Some(op),
            _ => {
                self.pos = save;
                None
            }
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("condition nested too deeply".into()));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut terms = vec![self.and()?];
        while self.eat_keyword("or") {
            terms.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 { terms.pop().expect("one term") } else { Expr::Or(terms) })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.unary()?];
        while self.eat_keyword("and") {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.pop().expect("one term") } else { Expr::And(terms) })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let result = if self.eat_keyword("not") {
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else if self.eat('(') {
            let inner = self.expr()?;
            if !self.eat(')') {
                return Err(self.error("expected ')'".into()));
            }
            Ok(inner)
        } else {
            self.check()
        };
        self.depth -= 1;
        result
    }

    fn check(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let at = self.pos;
        let field = self.operand()?;
        if let Some(op) = self.operator() {
            if op == Op::Exists {
                return Ok(Expr::Check { field, op, value: None, at });
            }
            let value = self.value(op)?;
            return Ok(Expr::Check { field, op, value: Some(value), at });
        }
        // A bare name not followed by an operator is a macro reference.
        if field.transformers.is_empty() && field.arg.is_none() {
            return Ok(Expr::Macro(field.name, at));
        }
        Err(self.error(format!("expected an operator after '{field}'")))
    }

    fn operand(&mut self) -> Result<FieldRef, ParseError> {
        self.skip_ws();
        let save = self.pos;
        let Some(word) = self.word() else {
            return Err(self.error(format!("expected a field or macro name, found '{}'", self.peek_word_for_error())));
        };
        if let Some(t) = Transformer::from_word(&word) {
            if self.eat('(') {
                self.enter()?;
                let mut inner = self.operand()?;
                self.depth -= 1;
                if !self.eat(')') {
                    return Err(self.error(format!("expected ')' to close {word}(")));
                }
                inner.transformers.push(t);
                return Ok(inner);
            }
        }
        let (name, arg) = match word.find('[') {
            Some(open) if word.ends_with(']') => {
                (word[..open].to_string(), Some(word[open + 1..word.len() - 1].to_string()))
            }
            Some(_) => {
                self.pos = save;
                return Err(self.error(format!("malformed field argument in '{word}'")));
            }
            None => (word, None),
        };
        if name.is_empty() {
            self.pos = save;
            return Err(self.error("empty field name".into()));
        }
        Ok(FieldRef { name, arg, transformers: Vec::new() })
    }

    fn value(&mut self, op: Op) -> Result<Value, ParseError> {
        self.skip_ws();
        if let Some(s) = self.quoted()? {
            return Ok(if op.takes_list() {
                Value::List(vec![ListItem { text: s, quoted: true }])
            } else {
                Value::Literal(s)
            });
        }
        if self.eat('(') {
            let mut items = Vec::new();
            loop {
                if self.eat(')') {
                    break;
                }
                if let Some(s) = self.quoted()? {
                    items.push(ListItem { text: s, quoted: true });
                } else if let Some(w) = self.list_word() {
                    items.push(ListItem { text: w, quoted: false });
                } else {
                    return Err(self.error("expected a list item or ')'".into()));
                }
                if !self.eat(',') && !matches!(self.peek_after_ws(), Some(')')) {
                    // Falco also accepts whitespace-separated items.
                    if self.peek_after_ws().is_none() {
                        return Err(self.error("unterminated list".into()));
                    }
                }
            }
            return Ok(Value::List(items));
        }
        let save = self.pos;
        let end = self.rest().find(|c: char| c.is_whitespace() || c == '(' || c == ')').unwrap_or(self.rest().len());
        if end > 0 {
            let w = self.rest()[..end].to_string();
            self.pos += end;
            if self.peek_char() == Some('(') && (w == "val" || Transformer::from_word(&w).is_some()) {
                if w == "val" {
                    self.eat('(');
                    let field = self.operand()?;
                    if !self.eat(')') {
                        return Err(self.error("expected ')' to close val(".into()));
                    }
                    return Ok(Value::Field(field));
                }
                self.pos = save;
                return Ok(Value::Field(self.operand()?));
            }
            return Ok(if op.takes_list() {
                Value::List(vec![ListItem { text: w, quoted: false }])
            } else {
                Value::Literal(w)
            });
        }
        Err(self.error(format!("expected a value after '{}'", op.as_str())))
    }

    fn peek_after_ws(&mut self) -> Option<char> {
        self.skip_ws();
        self.peek_char()
    }

    /// A bare list item: anything up to a comma, a closing paren or whitespace.
    fn list_word(&mut self) -> Option<String> {
        self.skip_ws();
        let end = self.rest().find(|c: char| c.is_whitespace() || c == ',' || c == ')').unwrap_or(self.rest().len());
        if end == 0 {
            return None;
        }
        let w = self.rest()[..end].to_string();
        self.pos += end;
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(name: &str, op: Op, value: Option<Value>) -> Expr {
        let field = FieldRef { name: name.into(), arg: None, transformers: vec![] };
        Expr::Check { field, op, value, at: 0 }
    }

    fn strip(e: Expr) -> Expr {
        match e {
            Expr::And(v) => Expr::And(v.into_iter().map(strip).collect()),
            Expr::Or(v) => Expr::Or(v.into_iter().map(strip).collect()),
            Expr::Not(b) => Expr::Not(Box::new(strip(*b))),
            Expr::Macro(n, _) => Expr::Macro(n, 0),
            Expr::Check { field, op, value, .. } => Expr::Check { field, op, value, at: 0 },
        }
    }

    fn lit(s: &str) -> Option<Value> {
        Some(Value::Literal(s.into()))
    }

    #[test]
    fn precedence_and_macros() {
        let e = strip(parse("spawned_process and not proc.name=cat or fd.name=/dev/null").unwrap());
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::And(vec![
                    Expr::Macro("spawned_process".into(), 0),
                    Expr::Not(Box::new(check("proc.name", Op::Eq, lit("cat")))),
                ]),
                check("fd.name", Op::Eq, lit("/dev/null")),
            ])
        );
    }

    #[test]
    fn lists_arguments_and_operators() {
        let e = strip(
            parse("evt.type in (open, openat) and proc.aname[2] startswith \"sshd\" and fd.name exists").unwrap(),
        );
        let Expr::And(terms) = e else { panic!() };
        assert_eq!(
            terms[0],
            check(
                "evt.type",
                Op::In,
                Some(Value::List(vec![
                    ListItem { text: "open".into(), quoted: false },
                    ListItem { text: "openat".into(), quoted: false }
                ]))
            )
        );
        let Expr::Check { field, op, .. } = &terms[1] else { panic!() };
        assert_eq!((field.name.as_str(), field.arg.as_deref(), *op), ("proc.aname", Some("2"), Op::StartsWith));
        assert_eq!(terms[2], check("fd.name", Op::Exists, None));
    }

    #[test]
    fn json_pointer_args_transformers_and_val() {
        let e = strip(parse("jevt.value[/spec/containers/0] = x and tolower(proc.name) = val(proc.pname)").unwrap());
        let Expr::And(terms) = e else { panic!() };
        let Expr::Check { field, .. } = &terms[0] else { panic!() };
        assert_eq!(field.arg.as_deref(), Some("/spec/containers/0"));
        let Expr::Check { field, value, .. } = &terms[1] else { panic!() };
        assert_eq!(field.transformers, vec![Transformer::ToLower]);
        assert_eq!(value, &Some(Value::Field(FieldRef { name: "proc.pname".into(), arg: None, transformers: vec![] })));
    }

    #[test]
    fn quoting_and_symbols() {
        let e = strip(
            parse(r#"proc.cmdline contains "a \"b\" c" and evt.rawres>=0 and fd.sip!=127.0.0.1 and evt.dir=<"#)
                .unwrap(),
        );
        let Expr::And(terms) = e else { panic!() };
        assert_eq!(terms[3], check("evt.dir", Op::Eq, lit("<")));
        assert_eq!(terms[0], check("proc.cmdline", Op::Contains, lit("a \"b\" c")));
        assert_eq!(terms[1], check("evt.rawres", Op::Ge, lit("0")));
        assert_eq!(terms[2], check("fd.sip", Op::Ne, lit("127.0.0.1")));
    }

    #[test]
    fn errors_have_offsets() {
        let err = parse("proc.name = ").unwrap_err();
        assert!(err.message.contains("expected a value"), "{err}");
        let err = parse("(proc.name = a").unwrap_err();
        assert!(err.message.contains("')'"), "{err}");
        assert!(parse("proc.name in (a, b").is_err());
        assert!(parse("proc.name = \"x").is_err());
        assert!(parse("a and").is_err());
        assert!(parse("and and").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
            let _ = parse_field(&s);
        }

        #[test]
        fn condition_like_text_never_panics(s in "[a-z._\\[\\]()=!<> \"',0-9/]{0,60}") {
            let _ = parse(&s);
        }
    }
}
