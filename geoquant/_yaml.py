"""YAML read safely: no aliases (a few lines of anchors can expand to gigabytes), a size cap,
and errors that say where."""

from __future__ import annotations

from typing import Any

from geoquant.errors import ConfigError, quote

#: The largest configuration geoquant reads, bytes (its own are a few kilobytes).
MAX_CONFIG_BYTES = 1024 * 1024
#: The longest value quoted in an error message, characters.
MAX_QUOTED = 200


def shorten(text: Any, limit: int = MAX_QUOTED) -> str:
    """``text`` (as ``str``) cut in the middle to about ``limit`` characters with the length it
    had, for messages: :func:`geoquant.errors.quote` without the quotes."""
    return quote(text, limit, as_repr=False)


def load_yaml(text: str, *, source: str) -> Any:
    """The YAML document in ``text``.

    Raises
    ------
    ConfigError
        The text is larger than :data:`MAX_CONFIG_BYTES`, uses an alias (``*name``), or is not
        YAML (with the line and column).
    """
    import yaml

    if len(text.encode("utf-8", "replace")) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is larger than {MAX_CONFIG_BYTES // 1024} KiB, which no "
                          "configuration needs: check that it is the right file")

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise ConfigError(f"{source} uses the YAML alias *{shorten(event.anchor, 40)} "
                                  f"at line {event.start_mark.line + 1}: geoquant reads no "
                                  "aliases (they can expand without bound); write the value "
                                  "out")
            return super().compose_node(parent, index)

        def construct_yaml_timestamp(self, node: Any) -> Any:
            # PyYAML reads 2021-13-45 as a date and fails with a bare ValueError; kept as the
            # text written, the configuration's own checks name it with its key
            try:
                return super().construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                return self.construct_scalar(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            # PyYAML keeps the last of two equal keys silently: a key written twice (a pasted
            # block, a merge gone wrong) is a mistake whose one half would be ignored
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                    seen.setdefault(key, line)
                except TypeError:           # an unhashable key: PyYAML's own error follows
                    continue
                if first is not None:
                    raise ConfigError(
                        f"{source} gives the key {shorten(key, 80)!r} twice, "
                        + (f"on line {line}" if first == line else
                           f"at lines {first} and {line}")
                        + ": keep one (YAML would silently use the last)")
            return super().construct_mapping(node, deep=deep)

    NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                  NoAliasLoader.construct_yaml_timestamp)
    try:
        return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{source} is not valid YAML{where}: {shorten(problem)}") from None
