//! Settings and processes: environments built from pairs, commands
//! started clean.

/// `base` with `overrides` replacing or adding variables (later wins): the
/// one way every test merges settings, in-process or for a process.
pub fn merged_env<'a>(
    base: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut vars: Vec<(&str, &str)> = Vec::new();
    for &(key, value) in base.iter().chain(overrides) {
        vars.retain(|(k, _)| *k != key);
        vars.push((key, value));
    }
    vars
}

/// The settings a test app starts with: [`merged_env`] as an [`Env`](crate::config::Env).
pub fn env_with(base: &[(&str, &str)], overrides: &[(&str, &str)]) -> crate::config::Env {
    crate::config::Env::from_pairs(merged_env(base, overrides))
}

/// A command for a service binary with nothing from the developer's shell
/// or `.env` leaking in (only `PATH`), run from `dir`.
pub fn clean_command(binary: &str, dir: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    cmd
}
