//! `krest plugin new`: writes a buildable plugin project for one world from the templates in
//! `templates/` (Cargo.toml with its own `plugin` profile, src/lib.rs with a unit test,
//! NAME.toml, README.md).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The WIT world a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    Format,
    Auth,
    Transform,
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            World::Format => "format",
            World::Auth => "auth",
            World::Transform => "transform",
        })
    }
}

/// Where the new project gets `krest-plugin-sdk` from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// crates.io, the version requirement matching this krest (the default).
    Registry,
    /// A local checkout: the SDK's folder (`…/krest/plugin-sdk`).
    Path(PathBuf),
    /// A git repository holding the krest workspace.
    Git(String),
}

/// What `krest plugin new` was asked for.
#[derive(Clone, Debug)]
pub struct NewPlugin {
    pub name: String,
    pub world: World,
    /// The project's folder; created, and must be empty if it exists.
    pub dir: PathBuf,
    pub sdk: Sdk,
}

struct Templates {
    lib: &'static str,
    config: &'static str,
    usage: &'static str,
    description: &'static str,
    dependencies: &'static str,
}

const CARGO_TOML: &str = include_str!("templates/Cargo.toml.tmpl");
const README: &str = include_str!("templates/README.md.tmpl");
const GITIGNORE: &str = include_str!("templates/gitignore.tmpl");

fn templates(world: World) -> Templates {
    match world {
        World::Format => Templates {
            lib: include_str!("templates/format/lib.rs.tmpl"),
            config: include_str!("templates/format/config.toml.tmpl"),
            usage: include_str!("templates/format/usage.md.tmpl"),
            description: "A krest format plugin: JSON strings stored as their UTF-8 text",
            dependencies: "serde_json = \"1\"\n",
        },
        World::Auth => Templates {
            lib: include_str!("templates/auth/lib.rs.tmpl"),
            config: include_str!("templates/auth/config.toml.tmpl"),
            usage: include_str!("templates/auth/usage.md.tmpl"),
            description: "A krest auth plugin: API keys naming principals, some read-only",
            dependencies: "",
        },
        World::Transform => Templates {
            lib: include_str!("templates/transform/lib.rs.tmpl"),
            config: include_str!("templates/transform/config.toml.tmpl"),
            usage: include_str!("templates/transform/usage.md.tmpl"),
            description: "A krest transform plugin: a header naming the producer on every record",
            dependencies: "",
        },
    }
}

/// The files of the project, relative to its folder, with their contents.
pub fn render(plugin: &NewPlugin) -> anyhow::Result<Vec<(PathBuf, String)>> {
    check_name(&plugin.name)?;
    let templates = templates(plugin.world);
    let sdk = sdk_dependency(&plugin.sdk, plugin.world)?;
    let fill = |template: &str| {
        template
            .replace("{{usage}}", templates.usage.trim_end())
            .replace("{{sdk}}", &sdk)
            .replace("{{dependencies}}", templates.dependencies)
            .replace("{{description}}", templates.description)
            .replace("{{world}}", &plugin.world.to_string())
            .replace("{{crate}}", &plugin.name.replace('-', "_"))
            .replace("{{name}}", &plugin.name)
    };
    Ok(vec![
        (PathBuf::from("Cargo.toml"), fill(CARGO_TOML)),
        (PathBuf::from("src/lib.rs"), fill(templates.lib)),
        (
            PathBuf::from(format!("{}.toml", plugin.name)),
            fill(templates.config),
        ),
        (PathBuf::from("README.md"), fill(README)),
        (PathBuf::from(".gitignore"), fill(GITIGNORE)),
    ])
}

/// Writes the project; returns the files written.
pub fn create(plugin: &NewPlugin) -> anyhow::Result<Vec<PathBuf>> {
    let files = render(plugin)?;
    let dir = &plugin.dir;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} exists and is not empty: choose another --dir", dir.display());
    }
    let mut written = Vec::new();
    for (relative, contents) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// What to tell the author after [`create`].
pub fn next_steps(plugin: &NewPlugin) -> String {
    let crate_name = plugin.name.replace('-', "_");
    let mut steps = format!(
        "Created the {world} plugin `{name}` in {dir}. Next:\n\
         \n  cd {dir}\
         \n  cargo test                                            # its unit test, natively\
         \n  rustup target add wasm32-wasip2                       # once\
         \n  cargo build --target wasm32-wasip2 --profile plugin\
         \n  cp target/wasm32-wasip2/plugin/{crate_name}.wasm PLUGINS_DIR/{name}.wasm\n\
         \nREADME.md says how to configure and use it.\n",
        world = plugin.world,
        name = plugin.name,
        dir = plugin.dir.display(),
    );
    if plugin.sdk == Sdk::Registry {
        steps.push_str(
            "\nThe project depends on krest-plugin-sdk from crates.io. Building against a checkout \
             of krest instead: --sdk-path KREST/plugin-sdk or --sdk-git URL.\n",
        );
    }
    steps
}

/// Plugin names are file stems krest accepts (`a-z`, `0-9`, `-`, `_`) that are also crate names.
fn check_name(name: &str) -> anyhow::Result<()> {
    let first_is_letter = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_allowed = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !first_is_letter || !rest_allowed {
        bail!(
            "`{name}` cannot name a plugin: start with a lower-case letter, then use lower-case \
             letters, digits, `-` and `_`"
        );
    }
    const RESERVED: &[&str] = &[
        "core",
        "std",
        "alloc",
        "proc_macro",
        "test",
        "self",
        "crate",
        "super",
    ];
    if RESERVED.contains(&name) {
        bail!("`{name}` cannot name a plugin: Rust reserves it as a crate name");
    }
    Ok(())
}

/// The `krest-plugin-sdk = …` line of the project's Cargo.toml.
fn sdk_dependency(sdk: &Sdk, world: World) -> anyhow::Result<String> {
    let source = match sdk {
        Sdk::Registry => {
            let version = env!("CARGO_PKG_VERSION");
            let minor = version.rsplit_once('.').map_or(version, |(head, _)| head);
            format!("version = {}", toml_string(minor))
        }
        Sdk::Path(path) => format!("path = {}", toml_string(&sdk_folder(path)?)),
        Sdk::Git(url) => format!("git = {}", toml_string(url)),
    };
    Ok(format!(
        "krest-plugin-sdk = {{ {source}, features = [\"{world}\"] }}"
    ))
}

/// `path` made absolute, after checking it holds the SDK's manifest.
fn sdk_folder(path: &Path) -> anyhow::Result<String> {
    let manifest = path.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("--sdk-path {}: no Cargo.toml there", path.display()))?;
    if !text.contains("name = \"krest-plugin-sdk\"") {
        bail!(
            "--sdk-path {}: {} is not krest-plugin-sdk's (give the `plugin-sdk` folder of a krest checkout)",
            path.display(),
            manifest.display()
        );
    }
    let absolute = std::path::absolute(path)?;
    absolute
        .to_str()
        .map(str::to_string)
        .with_context(|| format!("--sdk-path {} is not UTF-8", absolute.display()))
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(world: World, sdk: Sdk) -> NewPlugin {
        NewPlugin {
            name: "my-plugin".into(),
            world,
            dir: PathBuf::from("unused"),
            sdk,
        }
    }

    #[test]
    fn every_placeholder_is_filled_and_the_manifest_defines_the_plugin_profile() {
        let sdk = Sdk::Path(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../plugin-sdk"
        )));
        for world in [World::Format, World::Auth, World::Transform] {
            let files = render(&plugin(world, sdk.clone())).unwrap();
            for (path, contents) in &files {
                assert!(
                    !contents.contains("{{"),
                    "{world}: {} keeps a placeholder",
                    path.display()
                );
            }
            let manifest: toml::Table = files[0].1.parse().unwrap();
            assert_eq!(manifest["package"]["name"].as_str(), Some("my-plugin"));
            assert_eq!(
                manifest["profile"]["plugin"]["inherits"].as_str(),
                Some("release")
            );
            assert!(manifest.contains_key("workspace"));
            let sdk = &manifest["dependencies"]["krest-plugin-sdk"];
            assert_eq!(
                sdk["features"].as_array().unwrap()[0].as_str(),
                Some(world.to_string().as_str())
            );
            assert!(sdk["path"].as_str().unwrap().ends_with("plugin-sdk"));
            let _: toml::Table = files[2].1.parse().expect("NAME.toml is TOML");
            assert_eq!(files[2].0, PathBuf::from("my-plugin.toml"));
            assert!(files[3].1.contains("target/wasm32-wasip2/plugin/my_plugin.wasm"));
        }
    }

    #[test]
    fn the_sdk_comes_from_crates_io_a_path_or_git() {
        let registry = sdk_dependency(&Sdk::Registry, World::Auth).unwrap();
        assert_eq!(
            registry,
            r#"krest-plugin-sdk = { version = "0.1", features = ["auth"] }"#
        );
        let git = sdk_dependency(&Sdk::Git("https://example.org/krest.git".into()), World::Format).unwrap();
        assert_eq!(
            git,
            r#"krest-plugin-sdk = { git = "https://example.org/krest.git", features = ["format"] }"#
        );
        let wrong = sdk_dependency(
            &Sdk::Path(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            World::Format,
        );
        assert!(wrong
            .unwrap_err()
            .to_string()
            .contains("is not krest-plugin-sdk's"));
    }

    #[test]
    fn names_must_be_plugin_and_crate_names() {
        for bad in ["", "Upper", "1st", "a.b", "a b", "test"] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["upper", "my-format", "v2_codec"] {
            check_name(good).unwrap();
        }
    }

    #[test]
    fn an_existing_non_empty_folder_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("krest-scaffold-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keep.txt"), "mine").unwrap();
        let mut new = plugin(World::Transform, Sdk::Registry);
        new.dir = dir.clone();
        assert!(create(&new).unwrap_err().to_string().contains("not empty"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
