//! The output directory: check, diff, render, ownership, pruning and crash safety.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use flakegen::output::plan::Plan;
use flakegen::output::{Disk, RealDisk, apply};

use crate::support::root;

/// A copy of the example inventory in a temporary directory, rendered into `generated/`.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn rendered() -> Self {
        let workspace = Self::with(&root().join("inventory.yaml"));
        let run = workspace.run(&["render"]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        workspace
    }

    /// A copy of the inventory at `inventory`, not rendered.
    fn with(inventory: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::copy(inventory, dir.path().join("inventory.yaml")).expect("copy inventory");
        Self { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn out(&self) -> PathBuf {
        self.path("generated")
    }

    fn run(&self, args: &[&str]) -> Output {
        crate::support::gen_command()
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.path("cache"))
            .output()
            .expect("run gen")
    }

    fn edit_inventory(&self, from: &str, to: &str) {
        let path = self.path("inventory.yaml");
        let text = std::fs::read_to_string(&path).expect("inventory");
        assert!(text.contains(from), "inventory contains {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write inventory");
    }

    /// Runs `gen render`, which must succeed (`when` says after what).
    fn renders(&self, when: &str) {
        let run = self.run(&["render"]);
        assert_eq!(run.status.code(), Some(0), "{when}: {}", stderr(&run));
    }

    /// Starts `gen render` and kills it (SIGKILL) after `delay`.
    fn render_killed_after(&self, delay: std::time::Duration) {
        let mut child = crate::support::gen_command()
            .arg("render")
            .current_dir(self.dir.path())
            .env("XDG_CACHE_HOME", self.path("cache"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start gen");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
    }

    fn plan(&self) -> Plan {
        let files = flakegen::render_inventory(&self.path("inventory.yaml")).expect("renders");
        Plan::build(&self.out(), files).expect("plan")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file under `dir`, relative path → contents.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("walk"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry
                .path()
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .into_owned();
            (relative, std::fs::read(entry.path()).expect("read"))
        })
        .collect()
}

#[test]
fn check_passes_on_a_fresh_render_and_lists_drift() {
    let workspace = Workspace::rendered();
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));

    workspace.edit_inventory("whoami:", "hello:");
    std::fs::remove_file(workspace.out().join("services/grafana.hcl")).expect("remove");
    let check = workspace.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    let listed = stdout(&check);
    assert!(listed.contains("missing: services/hello.hcl"), "{listed}");
    assert!(listed.contains("missing: services/grafana.hcl"), "{listed}");
    assert!(listed.contains("stale: services/whoami.hcl"), "{listed}");
}

#[test]
fn diff_shows_new_changed_and_removed_files_without_touching_disk() {
    let workspace = Workspace::rendered();
    let before = tree(&workspace.out());
    workspace.edit_inventory("whoami:", "hello:");
    workspace.edit_inventory("cpu: 1000", "cpu: 1500");
    let diff = workspace.run(&["diff"]);
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    let text = stdout(&diff);
    assert!(
        text.contains("--- /dev/null\n+++ b/services/hello.hcl"),
        "{text}"
    );
    assert!(
        text.contains("--- a/services/whoami.hcl\n+++ /dev/null"),
        "{text}"
    );
    assert!(
        text.contains("-        cpu    = 1000\n+        cpu    = 1500"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(
        before,
        tree(&workspace.out()),
        "diff changed the output directory"
    );
}

#[test]
fn render_prunes_what_it_no_longer_generates() {
    let workspace = Workspace::rendered();
    workspace.edit_inventory("  whoami:", "  hello:");
    workspace.edit_inventory("  lab:", "  lab2:");
    assert_eq!(workspace.run(&["render"]).status.code(), Some(0));
    assert!(!workspace.out().join("services/whoami.hcl").exists());
    assert!(workspace.out().join("services/hello.hcl").exists());
    assert!(
        !workspace.out().join("hosts/lab").exists(),
        "an emptied directory is removed"
    );
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));
}

#[test]
fn a_hand_edited_file_stops_render_until_forced() {
    let workspace = Workspace::rendered();
    let edited = workspace.out().join("hosts/c1/default.nix");
    let mut text = std::fs::read_to_string(&edited).expect("host file");
    text.push_str("# a change made by hand\n");
    std::fs::write(&edited, &text).expect("edit");
    workspace.edit_inventory("cpu: 1000", "cpu: 1500");
    let before = tree(&workspace.out());

    let refused = workspace.run(&["render"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("hosts/c1/default.nix") && message.contains("edited by hand"),
        "{message}"
    );
    assert!(
        message.contains("-# a change made by hand"),
        "the refusal shows the difference: {message}"
    );
    assert_eq!(
        before,
        tree(&workspace.out()),
        "a refused render changed files"
    );

    assert_eq!(workspace.run(&["render", "--force"]).status.code(), Some(0));
    assert!(
        !std::fs::read_to_string(&edited)
            .expect("host file")
            .contains("a change made by hand")
    );
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));
}

#[test]
fn files_gen_did_not_write_are_left_alone() {
    let workspace = Workspace::rendered();
    let hardware = workspace
        .out()
        .join("hosts/bastion/hardware-configuration.nix");
    std::fs::write(&hardware, "{ }\n").expect("hardware configuration");
    std::fs::write(workspace.out().join("NOTES.md"), "mine\n").expect("notes");
    workspace.edit_inventory("  bastion:", "  bastion2:");
    let render = workspace.run(&["render"]);
    assert_eq!(render.status.code(), Some(0), "{}", stderr(&render));
    assert_eq!(std::fs::read_to_string(&hardware).expect("kept"), "{ }\n");
    assert!(workspace.out().join("NOTES.md").exists());
    assert!(
        !workspace.out().join("hosts/bastion/default.nix").exists(),
        "the owned file was pruned"
    );

    // A file of its own at a path gen wants to write is refused, not overwritten.
    std::fs::remove_file(workspace.out().join(".gen-manifest.json")).expect("forget ownership");
    workspace.edit_inventory("cpu: 1000", "cpu: 1500");
    let refused = workspace.run(&["render"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("not written by gen"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn unchanged_files_keep_their_modification_time() {
    let workspace = Workspace::rendered();
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for path in tree(&workspace.out()).keys() {
        let file = std::fs::File::options()
            .write(true)
            .open(workspace.out().join(path))
            .expect("open");
        file.set_modified(past).expect("set mtime");
    }
    workspace.edit_inventory("cpu: 1000", "cpu: 1500");
    assert_eq!(workspace.run(&["render"]).status.code(), Some(0));
    let touched: Vec<String> = tree(&workspace.out())
        .keys()
        .filter(|path| {
            let modified =
                std::fs::metadata(workspace.out().join(path)).and_then(|meta| meta.modified());
            modified.is_ok_and(|time| time != past)
        })
        .cloned()
        .collect();
    assert_eq!(touched, [".gen-manifest.json", "services/postgres.hcl"]);
}

#[test]
fn no_path_leaves_the_output_directory() {
    let unsafe_paths = ["../escape.nix", "/etc/passwd", "hosts/../../x", ""];
    for path in unsafe_paths {
        assert!(
            flakegen::output::plan::destination(Path::new("out"), path).is_err(),
            "{path:?} accepted"
        );
    }
    let workspace = Workspace::rendered();
    let elsewhere = tempfile::tempdir().expect("another directory");
    let services = workspace.out().join("services");
    std::fs::remove_dir_all(&services).expect("remove services");
    std::os::unix::fs::symlink(elsewhere.path(), &services).expect("symlink");
    let refused = workspace.run(&["render"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("symbolic link"),
        "{}",
        stderr(&refused)
    );
    assert!(
        tree(elsewhere.path()).is_empty(),
        "gen wrote through a symbolic link"
    );
}

/// A disk that fails at its `fail_at`-th operation, as a crash would stop a
/// render there, and records the operations it was asked for.
struct FailingDisk {
    operations: usize,
    fail_at: usize,
    log: Vec<&'static str>,
}

impl Disk for FailingDisk {
    fn stage(&mut self, path: &Path, contents: &[u8]) -> std::io::Result<std::path::PathBuf> {
        self.step("stage")?;
        RealDisk.stage(path, contents)
    }

    fn sync(&mut self, dir: &Path) -> std::io::Result<()> {
        self.step("sync")?;
        RealDisk.sync(dir)
    }

    fn commit(&mut self, staged: &Path, path: &Path) -> std::io::Result<()> {
        self.step("commit")?;
        RealDisk.commit(staged, path)
    }

    fn remove(&mut self, path: &Path) -> std::io::Result<()> {
        self.step("remove")?;
        RealDisk.remove(path)
    }

    fn stage_directory(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        self.step("stage_directory")?;
        RealDisk.stage_directory(dir)
    }

    fn publish(&mut self, staged: &Path, dir: &Path) -> std::io::Result<()> {
        self.step("publish")?;
        RealDisk.publish(staged, dir)
    }

    fn create(&mut self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        self.step("create")?;
        RealDisk.create(path, contents)
    }
}

impl FailingDisk {
    fn new(fail_at: usize) -> Self {
        Self {
            operations: 0,
            fail_at,
            log: Vec::new(),
        }
    }

    fn step(&mut self, operation: &'static str) -> std::io::Result<()> {
        self.log.push(operation);
        self.operations += 1;
        if self.operations == self.fail_at {
            Err(std::io::Error::other("injected failure"))
        } else {
            Ok(())
        }
    }
}

/// A render stopped after any number of operations leaves every file old or new,
/// and the next render finishes the job without refusing anything.
#[test]
fn an_interrupted_render_leaves_old_or_new_files_and_the_next_one_converges() {
    let mut runs = 0;
    for fail_at in 1.. {
        let workspace = Workspace::rendered();
        let old = tree(&workspace.out());
        workspace.edit_inventory("  whoami:", "  hello:");
        workspace.edit_inventory("  lab:", "  lab2:");
        workspace.edit_inventory("cpu: 1000", "cpu: 1500");
        let plan = workspace.plan();
        let new: BTreeMap<String, Vec<u8>> = plan
            .entries
            .iter()
            .filter_map(|entry| Some((entry.path.clone(), entry.new.clone()?)))
            .collect();
        let mut disk = FailingDisk::new(fail_at);
        let finished = apply(&plan, false, &mut disk).is_ok();
        runs += 1;

        for (path, contents) in tree(&workspace.out()) {
            let is_old = old.get(&path) == Some(&contents);
            let is_new = new.get(&path) == Some(&contents) || path == ".gen-manifest.json";
            assert!(
                is_old || is_new,
                "after {fail_at} operations, {path} is neither old nor new"
            );
        }
        workspace.renders(&format!("after {fail_at} operations"));
        assert!(
            workspace.plan().is_current(),
            "after {fail_at} operations the tree did not converge"
        );
        if finished {
            break;
        }
    }
    assert!(runs > 5, "the plan has several operations to interrupt");
    eprintln!("interrupted renders tried: {runs}");
}

/// The same with a real SIGKILL at spread-out moments of a render that rewrites
/// every file: whatever the moment, files are old or new and the next render converges.
#[test]
fn a_killed_render_leaves_old_or_new_files_and_the_next_one_converges() {
    const RUNS: u32 = 40;
    let timed = Workspace::rendered();
    timed.edit_inventory("homelab", "homelab2");
    let started = std::time::Instant::now();
    assert_eq!(timed.run(&["render"]).status.code(), Some(0));
    let duration = started.elapsed();

    for run in 0..RUNS {
        let workspace = Workspace::rendered();
        let old = tree(&workspace.out());
        // Renaming the cluster changes every file.
        workspace.edit_inventory("homelab", "homelab2");
        let new: BTreeMap<String, Vec<u8>> = workspace
            .plan()
            .entries
            .iter()
            .filter_map(|entry| Some((entry.path.clone(), entry.new.clone()?)))
            .collect();
        workspace.render_killed_after(duration * run / RUNS);

        for (path, contents) in tree(&workspace.out()) {
            let is_old = old.get(&path) == Some(&contents);
            let is_new = new.get(&path) == Some(&contents) || path == ".gen-manifest.json";
            let is_temporary = path
                .rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with(flakegen::output::TEMPORARY_PREFIX));
            assert!(
                is_old || is_new || is_temporary,
                "run {run}: {path} is neither old nor new"
            );
        }
        workspace.renders(&format!("run {run}"));
        assert!(
            workspace.plan().is_current(),
            "run {run}: the tree did not converge"
        );
        let leftovers: Vec<String> = tree(&workspace.out())
            .into_keys()
            .filter(|path| path.contains(flakegen::output::TEMPORARY_PREFIX))
            .collect();
        assert!(
            leftovers.is_empty(),
            "run {run}: temporary files left: {leftovers:?}"
        );
    }
    eprintln!("killed renders tried: {RUNS}, spread over {duration:?}");
}

/// What a workspace's directory holds besides the inventory, the cache and the
/// output directory: anything a render left there.
fn beside_the_output(workspace: &Workspace) -> Vec<String> {
    names_in(workspace.dir.path())
        .into_iter()
        .filter(|name| !["inventory.yaml", "cache", "generated"].contains(&name.as_str()))
        .collect()
}

/// The names of the entries of `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// `dir` holds exactly the files of `expected`, each with its contents.
fn assert_same_tree(dir: &Path, expected: &BTreeMap<String, Vec<u8>>, when: &str) {
    let found = tree(dir);
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{when}: the output directory holds other files"
    );
    for (path, contents) in expected {
        assert!(found.get(path) == Some(contents), "{when}: {path} differs");
    }
}

/// A first render stopped after any number of operations leaves no output
/// directory or all of it, nothing beside it, and the next render finishes.
#[test]
fn an_interrupted_first_render_leaves_nothing_or_everything() {
    let expected = tree(&Workspace::rendered().out());
    let mut runs = 0;
    for fail_at in 1.. {
        let workspace = Workspace::with(&root().join("inventory.yaml"));
        let plan = workspace.plan();
        let mut disk = FailingDisk::new(fail_at);
        let finished = apply(&plan, false, &mut disk).is_ok();
        runs += 1;
        if workspace.out().exists() {
            assert_same_tree(
                &workspace.out(),
                &expected,
                &format!("after {fail_at} operations"),
            );
        }
        assert_eq!(beside_the_output(&workspace), Vec::<String>::new());
        if finished {
            assert!(
                workspace.plan().is_current(),
                "a finished render is complete"
            );
            break;
        }
        workspace.renders("after the failure");
        assert_same_tree(&workspace.out(), &expected, "after the next render");
    }
    assert!(
        runs > 5,
        "a first render has several operations to interrupt"
    );
}

/// A first render makes its files durable, then puts the directory in place,
/// then makes that durable; nothing is renamed file by file.
#[test]
fn a_first_render_syncs_before_and_after_putting_the_directory_in_place() {
    let workspace = Workspace::with(&root().join("inventory.yaml"));
    let mut disk = FailingDisk::new(0);
    apply(&workspace.plan(), false, &mut disk).expect("first render");
    assert_eq!(disk.log.first(), Some(&"stage_directory"));
    assert!(
        disk.log[1..disk.log.len() - 3]
            .iter()
            .all(|op| *op == "create")
    );
    assert_eq!(disk.log[disk.log.len() - 3..], ["sync", "publish", "sync"]);
}

/// Only directories named as a first render names its staged directory go,
/// and only when no render holds them.
#[test]
fn only_a_crashed_renders_staged_directory_is_removed() {
    let workspace = Workspace::with(&root().join("inventory.yaml"));
    let leftover = ["generated.AbC123", "generated.XyZ789"];
    let kept = ["generated.v2.AbC123", "generated.keep", "other.AbC123"];
    for name in leftover.iter().chain(&kept) {
        let dir = workspace.path(&format!("{}{name}", flakegen::output::TEMPORARY_PREFIX));
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("x"), "mine").expect("write");
    }
    // The second one is held by a render still running.
    let held = std::fs::File::open(workspace.path(".gen-tmp-generated.XyZ789")).expect("open");
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).expect("lock");
    workspace.renders("with directories beside the output");
    let mut expected: Vec<String> = std::iter::once("generated.XyZ789")
        .chain(kept)
        .map(|name| format!("{}{name}", flakegen::output::TEMPORARY_PREFIX))
        .collect();
    expected.sort();
    assert_eq!(beside_the_output(&workspace), expected);
}

/// `--out` written with a trailing `/.`, or beneath directories not there yet.
#[test]
fn a_first_render_accepts_any_spelling_of_a_new_directory() {
    let expected = tree(&Workspace::rendered().out());
    for out in ["fresh/.", "fresh/", "a/b/c"] {
        let workspace = Workspace::with(&root().join("inventory.yaml"));
        let run = workspace.run(&["render", "--out", out]);
        assert_eq!(run.status.code(), Some(0), "--out {out}: {}", stderr(&run));
        assert_same_tree(&workspace.path(out), &expected, &format!("--out {out}"));
        let again = workspace.run(&["check", "--out", out]);
        assert_eq!(
            again.status.code(),
            Some(0),
            "--out {out}: {}",
            stderr(&again)
        );
    }
}

/// A first render killed at spread-out moments leaves no output directory or
/// all of it; the next render removes what the killed one staged, and finishes.
#[test]
fn a_killed_first_render_leaves_nothing_or_everything() {
    const RUNS: u32 = 30;
    let reference = Workspace::rendered();
    let expected = tree(&reference.out());
    let timed = Workspace::with(&root().join("inventory.yaml"));
    let started = std::time::Instant::now();
    assert_eq!(timed.run(&["render"]).status.code(), Some(0));
    let duration = started.elapsed();

    for run in 0..RUNS {
        let workspace = Workspace::with(&root().join("inventory.yaml"));
        workspace.render_killed_after(duration * run / RUNS);

        if workspace.out().exists() {
            assert_same_tree(&workspace.out(), &expected, &format!("run {run}"));
        }
        workspace.renders(&format!("run {run}"));
        assert_same_tree(
            &workspace.out(),
            &expected,
            &format!("run {run}, rendered again"),
        );
        assert_eq!(
            beside_the_output(&workspace),
            Vec::<String>::new(),
            "run {run}: left beside the output directory"
        );
    }
    eprintln!("killed first renders tried: {RUNS}, spread over {duration:?}");
}

/// The files of the example rendered in this process, reading back what the
/// cache at `cache` allows.
fn render_reusing(workspace: &Workspace, cache: &Path) -> Vec<flakegen::render::RenderedFile> {
    let inventory = workspace.path("inventory.yaml");
    let prepared = flakegen::prepare(&inventory).expect("valid");
    let templates = flakegen::render::Templates::load(None).expect("templates");
    let reuse = flakegen::output::reuse::Reuse::read_from(cache, &workspace.out());
    flakegen::render_cluster_reusing(&inventory, &prepared.cluster, &templates, &reuse)
        .expect("renders")
}

/// Each file's path and contents.
fn contents(files: &[flakegen::render::RenderedFile]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|file| (file.path.clone(), file.contents.clone()))
        .collect()
}

/// A render reads back every file an earlier render wrote from the same
/// template output, byte for byte what laying it out gives; a file edited by
/// hand or turned into a symbolic link is laid out again and refused as before.
#[test]
fn an_unchanged_file_is_read_back_not_laid_out_again() {
    use flakegen::output::plan::{Action, Conflict};
    use flakegen::output::reuse::Reuse;

    let workspace = Workspace::rendered();
    let cache = workspace.path("reuse.json");
    let fresh = render_reusing(&workspace, &cache);
    assert!(
        fresh.iter().all(|file| file.reused.is_none()),
        "no cache yet"
    );
    let plan = Plan::build(&workspace.out(), fresh.clone()).expect("plan");
    assert!(plan.is_current());
    Reuse::write_to(&cache, plan.produced(), None);

    let again = render_reusing(&workspace, &cache);
    assert!(
        again.iter().all(|file| file.reused.is_some()),
        "every file read back"
    );
    assert_eq!(contents(&again), contents(&fresh));

    let edited = "hosts/c1/default.nix";
    let linked = "hosts/c2/default.nix";
    let mut text = std::fs::read_to_string(workspace.out().join(edited)).expect("read");
    text.push_str("# mine\n");
    std::fs::write(workspace.out().join(edited), text).expect("edit");
    std::fs::copy(
        workspace.out().join(linked),
        workspace.path("elsewhere.nix"),
    )
    .expect("copy");
    std::fs::remove_file(workspace.out().join(linked)).expect("remove");
    std::os::unix::fs::symlink(
        workspace.path("elsewhere.nix"),
        workspace.out().join(linked),
    )
    .expect("link");
    let after = render_reusing(&workspace, &cache);
    for path in [edited, linked] {
        let file = after
            .iter()
            .find(|file| file.path == path)
            .expect("rendered");
        assert!(file.reused.is_none(), "{path} is laid out again");
    }
    assert_eq!(contents(&after), contents(&fresh));
    let plan = Plan::build(&workspace.out(), after).expect("plan");
    let action = |path: &str| {
        plan.entries
            .iter()
            .find(|entry| entry.path == path)
            .map(|entry| entry.action)
    };
    assert_eq!(action(edited), Some(Action::Refuse(Conflict::EditedByHand)));
    assert_eq!(action(linked), Some(Action::Refuse(Conflict::NotAFile)));
}

/// A file is read back without rendering its template when nothing that feeds
/// the template changed: the cluster view, the user's templates, the header.
/// The cache's digests of template outputs are spoilt here, so only the digest
/// of what feeds each template can spare a file.
#[test]
fn a_template_is_not_rendered_again_while_nothing_that_feeds_it_changed() {
    use flakegen::output::reuse::Reuse;

    let workspace = Workspace::rendered();
    let cache = workspace.path("reuse.json");
    let fresh = render_reusing(&workspace, &cache);
    let plan = Plan::build(&workspace.out(), fresh.clone()).expect("plan");
    Reuse::write_to(&cache, plan.produced(), None);
    let mut cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cache).expect("cache")).expect("JSON");
    for produced in cached["files"].as_object_mut().expect("files").values_mut() {
        produced["source"] = serde_json::json!("spoilt");
    }
    std::fs::write(&cache, cached.to_string()).expect("write");

    let again = render_reusing(&workspace, &cache);
    assert!(
        again.iter().all(|file| file.reused.is_some()),
        "every file read back"
    );
    assert_eq!(contents(&again), contents(&fresh));

    // A user's template feeds every file: none is read back once it appears.
    let overrides = workspace.path("templates");
    std::fs::create_dir_all(overrides.join("hosts")).expect("mkdir");
    let firewall = flakegen::render::templates::source("hosts/firewall.nft").expect("embedded");
    std::fs::write(
        overrides.join("hosts/firewall.nft"),
        format!("# Reviewed by the site team.\n{firewall}"),
    )
    .expect("override");
    let inventory = workspace.path("inventory.yaml");
    let prepared = flakegen::prepare(&inventory).expect("valid");
    let templates = flakegen::render::Templates::load(Some(&overrides)).expect("templates");
    let reuse = Reuse::read_from(&cache, &workspace.out());
    let overridden =
        flakegen::render_cluster_reusing(&inventory, &prepared.cluster, &templates, &reuse)
            .expect("renders");
    assert!(overridden.iter().all(|file| file.reused.is_none()));
    let firewalls: Vec<_> = overridden
        .iter()
        .filter(|file| file.path.ends_with("firewall.nft"))
        .collect();
    assert!(!firewalls.is_empty());
    assert!(
        firewalls
            .iter()
            .all(|file| file.contents.contains("Reviewed by the site team"))
    );

    // So does the inventory: a changed time zone, and nothing is read back.
    let text = std::fs::read_to_string(&inventory).expect("inventory");
    let zone = "time_zone: Europe/Berlin";
    assert!(text.contains(zone), "the example sets its time zone");
    std::fs::write(&inventory, text.replace(zone, "time_zone: Europe/Paris")).expect("edit");
    let changed = render_reusing(&workspace, &cache);
    assert!(changed.iter().all(|file| file.reused.is_none()));
    assert!(
        changed
            .iter()
            .any(|file| file.contents.contains("Europe/Paris"))
    );
}

/// A cache another build of gen wrote is not trusted.
#[test]
fn a_cache_from_another_build_is_ignored() {
    use flakegen::output::reuse::Reuse;

    let workspace = Workspace::rendered();
    let cache = workspace.path("reuse.json");
    let plan = Plan::build(&workspace.out(), render_reusing(&workspace, &cache)).expect("plan");
    Reuse::write_to(&cache, plan.produced(), None);
    let text = std::fs::read_to_string(&cache).expect("cache");
    let mut cached: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    cached["build"] = serde_json::json!("another gen");
    std::fs::write(&cache, cached.to_string()).expect("write");
    assert!(
        render_reusing(&workspace, &cache)
            .iter()
            .all(|file| file.reused.is_none())
    );
}

/// `gen render` keeps its cache outside the output directory, and a second
/// render of an unchanged inventory leaves the tree as it was.
#[test]
fn the_cache_is_outside_the_output() {
    let workspace = Workspace::rendered();
    let before = tree(&workspace.out());
    let run = workspace.run(&["render"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(tree(&workspace.out()), before);
    let cached = caches(&workspace);
    assert_eq!(
        cached.len(),
        2,
        "a cache and the name of its directory: {cached:?}"
    );
}

/// The files in the workspace's cache directory, by name.
fn caches(workspace: &Workspace) -> Vec<String> {
    names_in(&workspace.path("cache/flakegen"))
}

/// A render that writes its cache removes those of output directories that
/// are gone, and keeps those still there.
#[test]
fn the_cache_of_a_removed_output_directory_is_removed() {
    let workspace = Workspace::rendered();
    let mine = caches(&workspace);
    for scratch in ["scratch", "kept"] {
        let run = workspace.run(&["render", "--out", scratch]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    }
    assert_eq!(caches(&workspace).len(), 6);
    std::fs::remove_dir_all(workspace.path("scratch")).expect("remove");
    workspace.edit_inventory("time_zone: Europe/Berlin", "time_zone: Europe/Paris");
    let run = workspace.run(&["render"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let left = caches(&workspace);
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(
        mine.iter().all(|name| left.contains(name)),
        "{mine:?} in {left:?}"
    );
}

/// Whether a run took the files of the last render as they are, without
/// parsing the inventory (`-v` says so).
fn inventory_not_parsed(run: &Output) -> bool {
    stderr(run).contains("not parsed again")
}

/// An inventory whose bytes, file name and templates made the last render is
/// not parsed again: every file is read back. Any change to one of them, a
/// file edited by hand, or a smaller size budget is judged in full.
#[test]
fn an_unchanged_inventory_is_not_read_again() {
    let workspace = Workspace::rendered();
    let check = || workspace.run(&["check", "-v"]);
    let run = check();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(inventory_not_parsed(&run), "{}", stderr(&run));

    workspace.edit_inventory("time_zone: Europe/Berlin", "time_zone: Europe/Paris");
    let run = check();
    assert_eq!(
        run.status.code(),
        Some(1),
        "an edited inventory renders anew"
    );
    assert!(!inventory_not_parsed(&run));
    assert!(stdout(&run).contains("changed: "), "{}", stdout(&run));
    workspace.edit_inventory("time_zone: Europe/Paris", "time_zone: Europe/Berlin");
    assert!(inventory_not_parsed(&check()), "the same bytes again");

    let refused = workspace.run(&["check", "--max-inventory-bytes", "100"]);
    assert_eq!(refused.status.code(), Some(1), "the budget holds");
    assert!(stderr(&refused).contains("larger"), "{}", stderr(&refused));

    std::fs::copy(
        workspace.path("inventory.yaml"),
        workspace.path("renamed.yaml"),
    )
    .expect("copy");
    let renamed = workspace.run(&["check", "-v", "--inventory", "renamed.yaml"]);
    assert_eq!(
        renamed.status.code(),
        Some(1),
        "each header names the inventory"
    );
    assert!(!inventory_not_parsed(&renamed));

    let flake = workspace.out().join("flake.nix");
    let written = std::fs::read_to_string(&flake).expect("flake");
    std::fs::write(&flake, format!("{written}# mine\n")).expect("edit");
    let run = check();
    assert_eq!(run.status.code(), Some(1));
    assert!(!inventory_not_parsed(&run));
    assert!(stdout(&run).contains("flake.nix"), "{}", stdout(&run));
    std::fs::write(&flake, written).expect("restore");
    assert!(inventory_not_parsed(&check()));
}

/// The templates are part of what made a render: a new one, one edited, or
/// `--templates` naming others, and the inventory is read again; `render` and
/// `diff` take the same way as `check`.
#[test]
fn the_templates_are_part_of_an_unchanged_inventory() {
    let workspace = Workspace::rendered();
    let check = || workspace.run(&["check", "-v"]);
    let eject = workspace.run(&["templates", "eject", "hosts/firewall.nft"]);
    assert_eq!(eject.status.code(), Some(0), "{}", stderr(&eject));
    let run = check();
    assert!(
        inventory_not_parsed(&run),
        "ejected, not edited: still gen's own"
    );
    let overrides = workspace.path("templates/hosts");
    std::fs::create_dir_all(&overrides).expect("mkdir");
    let firewall = flakegen::render::templates::source("hosts/firewall.nft").expect("embedded");
    std::fs::write(
        overrides.join("firewall.nft"),
        format!("# Reviewed by the site team.\n{firewall}"),
    )
    .expect("override");
    let run = check();
    assert_eq!(run.status.code(), Some(1), "a new template renders anew");
    assert!(!inventory_not_parsed(&run));
    let run = workspace.run(&["render", "-v"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let run = workspace.run(&["render", "-v"]);
    assert!(
        inventory_not_parsed(&run),
        "the new templates are known now"
    );
    assert!(
        stderr(&run).contains("0 written, 0 removed"),
        "{}",
        stderr(&run)
    );
    let run = workspace.run(&["diff", "-v"]);
    assert!(inventory_not_parsed(&run));
    assert_eq!(stdout(&run), "");

    let elsewhere = workspace.run(&["check", "-v", "--templates", "elsewhere"]);
    assert_eq!(
        elsewhere.status.code(),
        Some(1),
        "--templates names other templates"
    );
    assert!(!inventory_not_parsed(&elsewhere));
    std::fs::write(
        overrides.join("firewall.nft"),
        format!("# Reviewed by the site team, twice.\n{firewall}"),
    )
    .expect("override");
    let run = check();
    assert_eq!(
        run.status.code(),
        Some(1),
        "an edited template renders anew"
    );
    assert!(!inventory_not_parsed(&run));
}

/// A cache is trusted unread only when its files are exactly those the output
/// directory's manifest owns: one that lists fewer is judged by a full render,
/// which keeps the file the cache forgot.
#[test]
fn a_cache_that_forgets_a_file_is_not_trusted_unread() {
    let workspace = Workspace::rendered();
    let cache = caches(&workspace)
        .into_iter()
        .find(|name| name.ends_with(".json"))
        .map(|name| workspace.path(&format!("cache/flakegen/{name}")))
        .expect("a cache");
    let mut cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cache).expect("cache")).expect("JSON");
    let files = cached["files"].as_object_mut().expect("files");
    assert!(
        files.remove("flake.nix").is_some(),
        "the cache lists flake.nix"
    );
    std::fs::write(&cache, cached.to_string()).expect("write");
    for command in ["check", "render"] {
        let run = workspace.run(&[command, "-v"]);
        assert_eq!(run.status.code(), Some(0), "{command}: {}", stderr(&run));
        assert!(!inventory_not_parsed(&run), "{command}");
    }
    assert!(workspace.out().join("flake.nix").is_file());
}

/// An inventory that warns is read by every run, so every run prints its warnings.
#[test]
fn an_inventory_that_warns_is_read_every_time() {
    let workspace =
        Workspace::with(&root().join("tests/fixtures/invalid/roles-single-server.yaml"));
    for command in ["render", "check", "check"] {
        let run = workspace.run(&[command, "-v"]);
        assert_eq!(run.status.code(), Some(0), "{command}: {}", stderr(&run));
        assert!(
            stderr(&run).contains("roles::single-server"),
            "{command}: {}",
            stderr(&run)
        );
        assert!(!inventory_not_parsed(&run));
    }
}
