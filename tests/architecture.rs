//! ARCHITECTURE.md agrees with the code: the layer table with every
//! import in `src/`, and the setup-step table with what a real sandbox
//! runs, in order.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use stockade::sandbox::{Event, Outcome, Sandbox};

fn architecture() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap()
}

/// The rows of the markdown table under `heading`, split into cells.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rows: Vec<Vec<String>> = doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.replace("\\|", "¦")
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert!(!rows.is_empty(), "empty table under {heading}");
    rows
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments and without its test module (by
/// convention the last item, after `#[cfg(test)]`).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `prefix` followed by a module name in `code`.
fn names_after<'a>(code: &'a str, prefix: &str) -> BTreeSet<&'a str> {
    code.match_indices(prefix)
        .filter(|(i, _)| {
            // A whole path segment, not the tail of a longer name.
            !code[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|n| !n.is_empty())
        .collect()
}

#[test]
fn every_import_goes_down_the_layer_table() {
    let doc = architecture();
    let layers: BTreeMap<String, u32> = table(&doc, "## Layers")
        .into_iter()
        .map(|r| (r[1].clone(), r[0].parse().unwrap()))
        .collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs");
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(&mine) = layers.get(top) else {
            panic!(
                "src/{} belongs to module {top}, which ARCHITECTURE.md's layer table lacks",
                rel.display()
            );
        };
        for dep in names_after(&code(f), "crate::") {
            checked += 1;
            let Some(&theirs) = layers.get(dep) else {
                wrong.push(format!(
                    "src/{}: crate::{dep} is not in the table",
                    rel.display()
                ));
                continue;
            };
            if dep != top && theirs >= mine {
                wrong.push(format!(
                    "src/{} (layer {mine}) imports {dep} (layer {theirs})",
                    rel.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        checked > 100,
        "only {checked} imports found: is the parser right?"
    );
}

#[test]
fn files_of_a_module_import_siblings_never_their_parent_and_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    // (directory, file) -> siblings it imports.
    let mut edges: BTreeMap<(PathBuf, String), BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        if name == "mod" || name == "lib" || name == "main" || name == "tests" {
            continue;
        }
        let dir = f.parent().unwrap();
        if dir == src {
            continue;
        }
        let siblings: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
            .filter(|n| n != "mod")
            .collect();
        let code = code(f);
        if code.contains("use super::*") {
            wrong.push(format!("{}: imports its parent's items", f.display()));
        }
        // `use super::{a, b::C}` names a and b.
        let mut named = names_after(&code, "super::");
        named.remove("");
        for (i, _) in code.match_indices("use super::{") {
            let list = &code[i + "use super::{".len()..];
            let list = &list[..list.find('}').unwrap_or(0)];
            for entry in list.split(',') {
                let first = entry.trim().split("::").next().unwrap_or("").trim();
                if !first.is_empty() {
                    named.insert(first);
                }
            }
        }
        for n in named {
            if siblings.contains(n) {
                edges
                    .entry((dir.to_path_buf(), name.clone()))
                    .or_default()
                    .insert(n.to_string());
            } else {
                wrong.push(format!("{}: super::{n} is not a sibling file", f.display()));
            }
        }
    }
    // No cycle among siblings: repeatedly remove files that import none left.
    let mut left = edges.clone();
    loop {
        let leaves: Vec<(PathBuf, String)> = left
            .iter()
            .filter(|((d, _), deps)| {
                deps.iter()
                    .all(|n| !left.contains_key(&(d.clone(), n.clone())))
            })
            .map(|(k, _)| k.clone())
            .collect();
        if leaves.is_empty() {
            break;
        }
        for k in leaves {
            left.remove(&k);
        }
    }
    for ((d, n), deps) in &left {
        wrong.push(format!(
            "{}/{n}.rs is in an import cycle with {deps:?}",
            d.display()
        ));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        edges.len() > 20,
        "only {} files import siblings: is the parser right?",
        edges.len()
    );
}

#[test]
fn a_sandbox_runs_the_setup_steps_of_the_table_in_its_order() {
    let doc = architecture();
    let rows = table(&doc, "## Setup steps");
    assert_eq!(rows.len(), 28);
    // A step of PID 1's helper thread runs beside PID 1's own and reports
    // no start of its own (its outcome is PID 1's to check).
    let want: Vec<(u32, String)> = rows
        .into_iter()
        .filter(|r| !r[2].starts_with("PID 1's helper thread"))
        .map(|r| (r[0].parse().unwrap(), r[1].clone()))
        .collect();
    assert_eq!(want.len(), 27);
    // strict kills (so the warden runs) and has Landlock rules; the rest
    // asks for every optional step: hostname, loopback, a bind, the
    // channel socket, a terminal.
    let yaml = "version: 1\nextends: strict\nhostname: steps\nchannel: {socket: true}\n";
    let mut child = match Sandbox::from_yaml(yaml)
        .unwrap()
        .args(["true"])
        .trace_setup()
        .stdin(stockade::sandbox::Stdio::Terminal)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            skip(&format!("cannot start a sandbox here: {e}"));
            return;
        }
    };
    let mut got = Vec::new();
    let outcome = loop {
        match child.next_event(None).unwrap() {
            Some(Event::Step(stage)) => got.push((stage as u32, stage.name().to_string())),
            Some(Event::Ended(o)) => break o,
            Some(_) => {}
            None => panic!("no outcome"),
        }
    };
    assert_eq!(outcome, Outcome::Exited(0));
    assert_eq!(
        got, want,
        "steps run (left) against ARCHITECTURE.md (right)"
    );
}
