//! A large Nix file laid out in pieces, as the formatter lays it out whole.
//!
//! The formatter holds about seventy bytes per byte of source while it lays a
//! file out: `flake.nix` of 5,000 hosts (1.7 MB) took 118 MB and one core for
//! 0.4 s. Such a file is long because of a few attribute sets with an entry per
//! host. Each entry of a set written over several lines is laid out on lines of
//! its own, by its own text and indentation alone, so the file is laid out as
//! several copies of its frame, each holding a slice of every large set, in
//! parallel; the frame comes from the first copy, the entries from all of them.
//! Comment lines mark where each entry starts. Whenever the copies disagree on
//! the frame, or a mark is missing, the file is laid out whole.

use rayon::prelude::*;
use rowan::ast::AstNode;

/// A set with this many entries is laid out in slices.
const LARGE_SET: usize = 64;
/// Entries of each large set in one copy of the frame.
const ENTRIES_PER_PIECE: usize = 256;
/// Files shorter than this are laid out whole: the frame is most of them.
const PIECES_FROM_BYTES: usize = 64 * 1024;

const ENTRY_MARK: &str = "# gen-layout-entry";
const END_MARK: &str = "# gen-layout-end";

/// `source` laid out by the Nix formatter, in pieces when it is large.
pub fn format_nix(source: &str) -> Result<String, String> {
    if source.len() >= PIECES_FROM_BYTES
        && let Some(laid_out) = in_pieces(source, LARGE_SET, ENTRIES_PER_PIECE)
    {
        return Ok(laid_out);
    }
    whole(source)
}

fn whole(source: &str) -> Result<String, String> {
    nixfmt_rs::format(source).map_err(|error| error.to_string())
}

/// `source` laid out in copies of its frame with at most `per_piece` entries of
/// each set of `large` entries or more; `None` where that cannot be done
/// exactly (no such set, a comment or a blank line between entries, a copy the
/// formatter refuses, copies that disagree): the whole is laid out then, and
/// its errors reported.
pub fn in_pieces(source: &str, large: usize, per_piece: usize) -> Option<String> {
    let split = Split::of(source, large)?;
    let pieces = split
        .entries
        .iter()
        .map(Vec::len)
        .max()?
        .div_ceil(per_piece);
    let copies: Option<Vec<Laid>> = (0..pieces)
        .into_par_iter()
        .map(|piece| {
            let text = split.copy(piece * per_piece..(piece + 1) * per_piece);
            Laid::read(&whole(&text).ok()?)
        })
        .collect();
    split.assemble(&copies?, per_piece)
}

/// A source cut into its frame and the entries of its large sets.
struct Split<'a> {
    /// The text around the large sets: one part more than there are sets.
    frame: Vec<&'a str>,
    /// The text of each entry of each large set, in order.
    entries: Vec<Vec<&'a str>>,
}

impl<'a> Split<'a> {
    fn of(source: &'a str, large: usize) -> Option<Self> {
        // The marks must be the only ones, and no region may be copied verbatim.
        if source.contains("gen-layout-") || source.contains("/*nixfmt:") {
            return None;
        }
        let root = rnix::Root::parse(source);
        if !root.errors().is_empty() {
            return None;
        }
        let mut sets: Vec<Vec<std::ops::Range<usize>>> = Vec::new();
        let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
        for node in root.syntax().descendants() {
            let range = to_range(node.text_range());
            if taken
                .iter()
                .any(|outer| outer.start <= range.start && range.end <= outer.end)
            {
                continue;
            }
            let Some(set) = rnix::ast::AttrSet::cast(node) else {
                continue;
            };
            let entries: Vec<_> = rnix::ast::HasEntry::entries(&set)
                .map(|entry| to_range(entry.syntax().text_range()))
                .collect();
            if entries.len() < large {
                continue;
            }
            // The formatter keeps comments and blank lines between entries; copies would not.
            let between_entries = set
                .syntax()
                .children_with_tokens()
                .filter_map(rnix::NodeOrToken::into_token)
                .any(|token| {
                    token.kind() == rnix::SyntaxKind::TOKEN_COMMENT
                        || token.text().matches('\n').count() > 1
                });
            // Copies keep every column (the lexer reads them): each entry, and
            // the closing brace, on a line of its own, taken with its indentation.
            let on_own_lines = entries.iter().all(|entry| {
                source[line_start(source, entry.start)..entry.start]
                    .bytes()
                    .all(|byte| byte == b' ')
            });
            let closed_on_its_own_line = entries
                .last()
                .is_some_and(|last| source[last.end..range.end].contains('\n'));
            if between_entries || !on_own_lines || !closed_on_its_own_line {
                continue;
            }
            taken.push(range);
            sets.push(
                entries
                    .into_iter()
                    .map(|entry| line_start(source, entry.start)..entry.end)
                    .collect(),
            );
        }
        if sets.is_empty() {
            return None;
        }
        sets.sort_by_key(|entries| entries[0].start);
        let mut frame = Vec::with_capacity(sets.len() + 1);
        let mut at = 0;
        for entries in &sets {
            // Through the line that opens the set, and from the start of the
            // line that closes it: the entries' own lines go between.
            frame.push(&source[at..entries[0].start]);
            let last = entries.last()?.end;
            at = line_start(source, last + source[last..].find('}')?);
        }
        frame.push(&source[at..]);
        let entries = sets
            .iter()
            .map(|entries| entries.iter().map(|range| &source[range.clone()]).collect())
            .collect();
        Some(Self { frame, entries })
    }

    /// The frame holding the entries `range` of each large set, each entry
    /// after a mark and every set closed by one.
    fn copy(&self, range: std::ops::Range<usize>) -> String {
        let mut text = String::new();
        for (part, entries) in self.frame.iter().zip(&self.entries) {
            text.push_str(part);
            let slice = entries
                .get(range.start.min(entries.len())..range.end.min(entries.len()))
                .unwrap_or_default();
            for entry in slice {
                text.push_str(ENTRY_MARK);
                text.push('\n');
                text.push_str(entry);
                text.push('\n');
            }
            text.push_str(END_MARK);
            text.push('\n');
        }
        text.push_str(self.frame.last().copied().unwrap_or_default());
        text
    }

    /// The whole file from its copies, each laid out, when their frames agree
    /// and each holds the entries it was given.
    fn assemble(&self, copies: &[Laid], per_piece: usize) -> Option<String> {
        let first = copies.first()?;
        let mut out = String::new();
        for (set, entries) in self.entries.iter().enumerate() {
            out.push_str(first.frame.get(set)?);
            for (piece, copy) in copies.iter().enumerate() {
                let given = entries
                    .len()
                    .saturating_sub(piece * per_piece)
                    .min(per_piece);
                let laid = copy.entries.get(set)?;
                let same_frame = copy.frame.get(set) == first.frame.get(set);
                if laid.len() != given || (given > 0 && !same_frame) {
                    return None;
                }
                for entry in laid {
                    out.push_str(entry);
                }
            }
        }
        out.push_str(first.frame.get(self.entries.len())?);
        Some(out)
    }
}

/// A copy of the frame as the formatter laid it out: the frame's lines, and
/// the lines of each entry of each set.
struct Laid {
    frame: Vec<String>,
    entries: Vec<Vec<String>>,
}

impl Laid {
    /// The parts of `output` between the marks; `None` when a mark is not on a line of its own.
    fn read(output: &str) -> Option<Self> {
        let mut frame = vec![String::new()];
        let mut entries: Vec<Vec<String>> = vec![Vec::new()];
        let mut in_entry = false;
        for line in output.split_inclusive('\n') {
            match line.trim() {
                ENTRY_MARK => {
                    entries.last_mut()?.push(String::new());
                    in_entry = true;
                }
                END_MARK => {
                    frame.push(String::new());
                    entries.push(Vec::new());
                    in_entry = false;
                }
                text if text.contains(ENTRY_MARK) || text.contains(END_MARK) => return None,
                _ if in_entry => entries.last_mut()?.last_mut()?.push_str(line),
                _ => frame.last_mut()?.push_str(line),
            }
        }
        entries.pop();
        Some(Self { frame, entries })
    }
}

/// Where the line holding byte `at` starts.
fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

fn to_range(range: rowan::TextRange) -> std::ops::Range<usize> {
    usize::from(range.start())..usize::from(range.end())
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::{in_pieces, whole};

    /// A frame like `flake.nix`: two large sets, entries of one and several
    /// lines, names that need quotes, a line long enough to be broken.
    fn flake(hosts: usize) -> String {
        let name = |host: usize| {
            if host.is_multiple_of(7) {
                format!("\"h.{host}\"")
            } else {
                format!("h{host}")
            }
        };
        let configurations = (0..hosts).fold(String::new(), |mut text, host| {
            let _ = writeln!(
                text,
                "    {} = host \"x86_64-linux\" ./hosts/h{host};",
                name(host)
            );
            text
        });
        let nodes = (0..hosts).fold(String::new(), |mut text, host| {
            let long = "x".repeat(host % 90);
            let _ = writeln!(
                text,
                "    {0} = {{\n      hostname = \"10.0.{host}.1\";\n      sshOpts = [ \"-p\" \"22\" \"{long}\" ];\n      profiles.system = {{ user = \"root\"; path = deploy-rs.lib.x86_64-linux.activate.nixos self.nixosConfigurations.{0}; }};\n    }};",
                name(host)
            );
            text
        });
        format!(
            "# header\n{{\n  outputs = {{ self }}: let host = system: module: {{ }}; in {{\n  nixosConfigurations = {{\n{configurations}  }};\n\n  deploy.nodes = {{\n{nodes}  }};\n  checks = {{ }};\n  }};\n}}\n"
        )
    }

    #[test]
    fn pieces_are_laid_out_as_the_whole() {
        for hosts in [5, 10, 41] {
            let source = flake(hosts);
            let expected = whole(&source).expect("formats");
            for per_piece in [1, 2, 7, 100] {
                let pieces = in_pieces(&source, 5, per_piece).expect("laid out in pieces");
                assert_eq!(pieces, expected, "{hosts} hosts, {per_piece} per piece");
            }
        }
    }

    /// A set with a comment or a blank line between its entries is laid out
    /// with the frame; the other sets are still cut.
    #[test]
    fn comments_and_blank_lines_between_entries_are_kept() {
        let commented = flake(10).replacen("    h1 = host", "    # why\n    h1 = host", 1);
        let spaced = commented.replacen("    h2 = {", "\n    h2 = {", 1);
        for (source, cut) in [(&commented, true), (&spaced, false)] {
            let pieces = in_pieces(source, 5, 2);
            assert_eq!(pieces.is_some(), cut);
            if let Some(pieces) = pieces {
                assert_eq!(pieces, whole(source).expect("formats"));
            }
        }
    }

    /// The example's `flake.nix`, laid out already, comes out the same in any
    /// number of pieces: every set of three entries or more is cut.
    #[test]
    fn the_examples_flake_is_the_same_in_pieces() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/generated/flake.nix");
        let flake = std::fs::read_to_string(path).expect("generated/flake.nix");
        for per_piece in 1..=4 {
            assert_eq!(
                in_pieces(&flake, 3, per_piece).as_deref(),
                Some(flake.as_str())
            );
        }
    }

    /// Columns the lexer reads (a comment under the next token is leading), a
    /// comment after a large set's closing brace, the marks already in the
    /// source, a region the formatter copies verbatim: each comes out as the
    /// whole does, or is laid out whole.
    #[test]
    fn tricky_sources_come_out_as_the_whole() {
        let flake = flake(10);
        let sources = [
            flake.replacen(
                "    h1 = host \"x86_64-linux\" ./hosts/h1;",
                "    h1 = [ # c\n           bar\n         ];",
                1,
            ),
            flake.replacen("  };\n\n  deploy.nodes", "  }; # c\n     deploy.nodes", 1),
            flake.replacen(
                "./hosts/h3;",
                "./hosts/h3 ''\n      # gen-layout-end\n    '';",
                1,
            ),
            flake.replacen("{\n  outputs", "{\n/*nixfmt:disable*/\n  outputs", 1),
        ];
        for source in &sources {
            let expected = whole(source).expect("formats");
            if let Some(pieces) = in_pieces(source, 5, 2) {
                assert_eq!(pieces, expected, "{source}");
            }
        }
        assert!(in_pieces(&sources[0], 5, 2).is_some());
        assert!(in_pieces(&sources[1], 5, 2).is_some());
        assert!(in_pieces(&sources[2], 5, 2).is_none());
        assert!(in_pieces(&sources[3], 5, 2).is_none());
    }

    #[test]
    fn small_sets_are_not_cut() {
        assert!(in_pieces(&flake(4), 5, 1).is_none());
    }
}
