//! `--secret-command`'s text split into a program and its arguments by the shell's quoting
//! rules, with no shell: nothing is expanded, and a shell operator left unquoted is refused.

/// Splits `line` as a POSIX shell splits words: white space separates them; `'...'` keeps
/// everything inside as it is; `"..."` keeps everything but `\` before `"`, `\`, `$`, `` ` ``
/// or a line break; `\` outside quotes keeps the next character. Refused (with why): an
/// unclosed quote, nothing at all, and an unquoted `|`, `&`, `;`, `<`, `>`, `(`, `)`, `$`,
/// `` ` ``, `*`, `?`, `[` or `~` at a word's start: with no shell they would reach the program
/// as arguments, never as the pipe, variable or pattern they look like.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word has begun (`''` is an empty word).
    let mut open = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if open {
                    words.push(std::mem::take(&mut word));
                    open = false;
                }
            }
            '\'' => {
                open = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err("a ' is not closed".into()),
                    }
                }
            }
            '"' => {
                open = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("a \" is not closed".into()),
                        },
                        Some(x @ ('$' | '`')) => {
                            return Err(format!(
                                "{x} inside \"...\" would be expanded by a shell, and no shell \
                                 runs this command: write it inside '...' to pass it as it is"
                            ));
                        }
                        Some(x) => word.push(x),
                        None => return Err("a \" is not closed".into()),
                    }
                }
            }
            '\\' => {
                open = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(x) => word.push(x),
                    None => return Err("it ends with a lone \\".into()),
                }
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' => {
                return Err(operator(c));
            }
            '~' if !open => return Err(operator(c)),
            c => {
                open = true;
                word.push(c);
            }
        }
    }
    if open {
        words.push(word);
    }
    if words.is_empty() {
        return Err("it names no program".into());
    }
    Ok(words)
}

/// Why an unquoted shell character is refused.
fn operator(c: char) -> String {
    format!(
        "{c} is a shell character, and no shell runs this command (a pipe, a redirection, a \
         variable or a pattern would reach the program as an argument): write the steps in a \
         script and name the script, or quote it ('{c}') to pass it as it is"
    )
}

#[cfg(test)]
mod tests {
    use super::split;

    fn ok(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn words_split_as_a_shell_splits_them_without_expanding_anything() {
        assert_eq!(
            ok("gh secret set CI_KEY"),
            ["gh", "secret", "set", "CI_KEY"]
        );
        assert_eq!(ok("  a\t b\n"), ["a", "b"]);
        assert_eq!(ok("a 'b c' \"d e\""), ["a", "b c", "d e"]);
        assert_eq!(ok("a '$HOME|*' b"), ["a", "$HOME|*", "b"]);
        assert_eq!(ok(r#"a "x\"y\\z\n" b"#), ["a", "x\"y\\z\\n", "b"]);
        assert_eq!(ok(r"a\ b c\|d"), ["a b", "c|d"]);
        assert_eq!(ok("a '' b"), ["a", "", "b"]);
        assert_eq!(ok("x'y'\"z\""), ["xyz"]);
        assert_eq!(ok("a~b"), ["a~b"]);
        assert_eq!(ok("'~/bin/store'"), ["~/bin/store"]);
    }

    #[test]
    fn shell_syntax_and_broken_quotes_are_refused() {
        for bad in [
            "",
            "   ",
            "gh secret set X | tee log",
            "store > out",
            "store; rm x",
            "store $TOKEN",
            "store \"$TOKEN\"",
            "store `id`",
            "store *.key",
            "~/bin/store",
            "a 'b",
            "a \"b",
            "a \\",
            "(store)",
        ] {
            assert!(
                split(bad).is_err(),
                "{bad:?} was accepted: {:?}",
                split(bad)
            );
        }
    }
}
