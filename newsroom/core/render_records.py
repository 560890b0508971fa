"""What each page read when it was rendered, to render again only pages whose inputs changed.

While a page is rendered, every template variable it looks up and every
story or page it reads an attribute of is recorded (``PageRecorder``,
through Jinja's context class and its ``getattr`` and ``getitem``). On the
next build, a page whose variables and stories are all the same (compared
by a digest of their values, ``Digests``) need not be rendered again. A
story's digest covers everything Pelican and the plugins keep on it; the
stories it links to or lists (related stories, neighbours) count by their
path, and the pages that show them read them too, so they are recorded on
their own. Values handed to the theme's own filters and functions count in
full, since Python code reads them unrecorded.

What the recorder cannot see (the templates themselves, settings read by
Python code, the code) is not in the records: their users keep records
only while those stay the same. The incremental preview
(newsroom/dev/incremental.py) keeps the records in memory and forgets them
when the theme changes; full builds keep them on disk under a key of all of
it (newsroom/build/page_records.py).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import posixpath
import re
from datetime import date, datetime
from urllib.parse import unquote, urlparse

from jinja2 import Environment
from jinja2.runtime import Context, Undefined

# Attributes of a content object that are not its own data: the settings
# (the same for every object), the build's shared context (every object) and
# what newsroom/compat/pelican.py remembers on it (URLs, kept with the id of
# their owner).
NOT_OWN_DATA = frozenset({"settings", "_context", "_newsroom_url_cache"})

# A topic's, section's or writer's name and slug, as Pelican keeps them.
URL_WRAPPER_OWN = frozenset({"name", "slug", "_name", "_slug", "_slug_from_name"})

# --- Digests of values ------------------------------------------------------------

# Exactly these types (not subclasses such as Markup): "name:" + str(value).
_SCALARS = {kind: f"{kind.__name__}:" for kind in (str, int, float, bool, type(None))}

# What Pelican keeps on a topic, section or writer itself.
_WRAPPER_STATE = URL_WRAPPER_OWN | NOT_OWN_DATA


@functools.lru_cache(maxsize=None)
def _qualname(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _content_class():
    from pelican.contents import Content
    return Content


class Digests:
    """Digests of template values for one build (memoised by identity).

    ``shallow``: a story or page counts by its source path (its own data is
    recorded separately when a page reads it). ``deep``: its data counts too.
    """

    def __init__(self):
        from pelican.urlwrappers import URLWrapper

        self.content = _content_class()
        self.url_wrapper = URLWrapper
        self._objects: dict[int, str] = {}
        self._values: dict[tuple[int, bool], str] = {}
        self._busy: set[tuple[int, bool]] = set()
        self._keep: list = []  # keeps memoised values alive (ids stay unique)
        # Where the files a story's body links to are published, set once
        # the build's content is known (``use_published_files``): part of
        # the story's digest, since its links show their URLs.
        self._published: dict[str, str] | None = None  # file name -> digest
        self._all_published = ""  # every file (when links cannot be told apart)

    def of_object(self, obj) -> str:
        """A story's or page's own data (what it links to counts by path)."""
        key = id(obj)
        found = self._objects.get(key)
        if found is None:
            # What Pelican derives from the body when it is shown: links to
            # other files ({filename}, {static}, ...) use their URLs.
            state = vars(obj)
            parts = [f"content:{obj.source_path}", self._links_of(state)]
            of_value, scalars = self.of_value, _SCALARS
            for name in sorted(state):
                if name not in NOT_OWN_DATA:
                    value = state[name]
                    prefix = scalars.get(type(value))  # (of_value's first case, inline)
                    parts += (name, of_value(value) if prefix is None else prefix + str(value))
            found = self._objects[key] = _hash(parts)
            self._keep.append(obj)
        return found

    def use_published_files(self, context: dict) -> None:
        """Where this build publishes every file (``context``: Pelican's, once all is read)."""
        self._published = published_files(context)
        # (Every file counts only when links cannot be told apart.)
        self._all_published = links_digest(context) if self._published is None else ""

    def _links_of(self, state: dict) -> str:
        """Where the files that ``state`` (a story's) links to are published.

        A link names its file by path ({filename}, {static}, {attach}); what
        it resolves to can only be a file of the same name, so those count.
        """
        published = self._published
        if published is None:
            return self._all_published
        names = set()
        for key, value in state.items():  # the body, and the metadata (summary)
            if key in NOT_OWN_DATA:
                continue
            for text in value.values() if isinstance(value, dict) else (value,):
                if isinstance(text, str) and ("{" in text or "|" in text):
                    for path in _INTRASITE_LINK.findall(text):
                        names.update(_linked_names(path))
        return "\x1e".join(f"{name}={published.get(name, '')}" for name in sorted(names))

    def of_value(self, value, deep: bool = False) -> str:
        """A template value; ``deep``: content objects in it count by their data too."""
        prefix = _SCALARS.get(type(value))
        if prefix is not None:  # the common case first (the same answer as below)
            return prefix + str(value)
        if isinstance(value, self.content):
            return f"content:{value.source_path}:{self.of_object(value) if deep else ''}"
        key = (id(value), deep)
        found = self._values.get(key)
        if found is not None:
            return found
        if isinstance(value, (str, int, float, bool, type(None))):
            return f"{type(value).__name__}:{value}"
        if isinstance(value, (datetime, date)):
            found = (f"{type(value).__name__}:{value.isoformat()}:"
                     f"{getattr(value, 'tzinfo', '')}")
        elif isinstance(value, self.url_wrapper) and vars(value).keys() <= _WRAPPER_STATE:
            # A topic, section or writer with nothing added: its name and slug
            # (short: kept as they are, not hashed).
            found = f"{_qualname(type(value))}\x1f{value.name}\x1e{value.slug}"
        else:
            if key in self._busy:
                return "cycle"
            self._busy.add(key)
            try:
                found = _short_or_hash(self._parts(value, deep))
            finally:
                self._busy.discard(key)
        self._values[key] = found
        self._keep.append(value)
        return found

    def _parts(self, value, deep: bool) -> list[str]:
        kind = type(value)
        parts = [_qualname(kind)]
        of_value, scalars = self.of_value, _SCALARS
        if isinstance(value, dict):
            for key in sorted(value, key=repr):
                if key not in NOT_OWN_DATA:
                    item = value[key]
                    prefix = scalars.get(type(item))  # (of_value's first case, inline)
                    parts += (repr(key),
                              of_value(item, deep) if prefix is None else prefix + str(item))
        elif isinstance(value, (list, tuple)):
            if deep:
                parts += [of_value(item, deep) for item in value]
            else:  # (lists of stories: of_value's answer for each, inline)
                content = self.content
                parts += [f"content:{item.source_path}:" if isinstance(item, content)
                          else of_value(item) for item in value]
        elif isinstance(value, (set, frozenset)):
            parts += sorted(self.of_value(item, deep) for item in value)
        elif isinstance(value, type):
            parts.append(value.__qualname__)
        elif isinstance(value, self.url_wrapper):
            # A topic, section or writer: its name and slug (which Pelican
            # keeps on the object once asked), and what plugins add to it.
            parts.append(f"{value.name}\x1e{value.slug}")
            for key in sorted(vars(value)):
                if key not in NOT_OWN_DATA and key not in URL_WRAPPER_OWN:
                    parts += (key, self.of_value(vars(value)[key], deep))
        elif callable(value):
            # Functions and methods: by name (their closures are code), and
            # the object a method is bound to.
            target = getattr(value, "__func__", value)
            parts.append(f"{getattr(target, '__module__', '')}."
                         f"{getattr(target, '__qualname__', type(target).__qualname__)}")
            owner = getattr(value, "__self__", None)
            if owner is not None and not isinstance(owner, type):
                parts.append(self.of_value(owner, deep))
        elif hasattr(value, "__dict__"):
            for key in sorted(vars(value)):
                if key not in NOT_OWN_DATA:
                    parts += (key, self.of_value(vars(value)[key], deep))
            if hasattr(value, "__html__"):
                parts.append(str(value))
        else:
            parts.append(repr(value))
        return parts


def _hash(parts: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


def _short_or_hash(parts: list[str]) -> str:
    """A value's parts as they are when short (a list of two topics: hashing
    costs more than comparing), else their hash; "(" tells the two apart."""
    joined = "\x1f".join(parts)
    if len(joined) <= _SHORT:
        return f"({joined})"
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_SHORT = 96


# Pelican's own link syntax (INTRASITE_LINK_REGEX's default), for the links
# that name a file: what follows is its path.
_DEFAULT_LINK_REGEX = "[{|](?P<what>.*?)[|}]"
_INTRASITE_LINK = re.compile(r"[{|](?:filename|static|attach)[|}]([^\"'\s<>]*)")


def _linked_names(path: str) -> list[str]:
    """The file names a link's path may name, as Pelican tries them: the path
    itself, unquoted, and HTML-unescaped (each without query or fragment)."""
    plain = urlparse(path).path
    return [posixpath.basename(name) for name in
            (plain, unquote(plain), urlparse(html.unescape(path)).path)]


def published_files(context: dict) -> dict[str, str] | None:
    """Digest of where the files of each name are published; None if links use another syntax."""
    if context.get("INTRASITE_LINK_REGEX", _DEFAULT_LINK_REGEX) != _DEFAULT_LINK_REGEX:
        return None
    by_name: dict[str, list[str]] = {}
    for group in ("generated_content", "static_content"):
        for source, obj in (context.get(group) or {}).items():
            by_name.setdefault(os.path.basename(source), []).append(
                f"{source}\x1e{getattr(obj, 'url', '')}\x1e{getattr(obj, 'save_as', '')}")
    return {name: _hash(sorted(entries)) for name, entries in by_name.items()}


def links_digest(context: dict) -> str:
    """Where every file of the site is published: what {filename} links resolve to."""
    entries = []
    for group in ("generated_content", "static_content"):
        for source, obj in sorted((context.get(group) or {}).items()):
            entries.append(f"{source}\x1e{getattr(obj, 'url', '')}\x1e"
                           f"{getattr(obj, 'save_as', '')}")
    return _hash(entries)


# --- Recording what a page reads ----------------------------------------------------

class PageRecord:
    """What one output file read when it was last rendered, and what it was."""

    __slots__ = ("template", "names", "objects", "attributes", "output")

    def __init__(self, template: str):
        self.template = template
        self.names: dict[str, tuple[bool, str]] = {}  # name -> (deep, digest)
        self.objects: dict[str, str] = {}  # source path -> digest of all its data
        # (source path, attribute) -> digest of the one attribute a template read
        self.attributes: dict[tuple[str, str], str] = {}
        self.output = ""


class PageRecorder:
    """Records, per output file, the variables and content objects a render reads."""

    def __init__(self, counter=None, published=None):
        self.records: dict[str, PageRecord] = {}
        # Problems logged (a WarningCounter; None: not counted).
        self.counter = counter
        # None: a record keeps its page's text. Else ``published(name,
        # record)`` gives an unchanged page's text (None: render it).
        self.published = published
        self._checked = None  # (localcontext, name, template, record) of the last can_skip
        self._current: PageRecord | None = None
        self._localcontext: dict | None = None
        self._python_depth = 0
        self.content = _content_class()
        self.start_build()

    # Called by the tracking hooks while a page renders.

    def name(self, key: str, value) -> None:
        record = self._current
        if record is None:
            return
        deep = self._python_depth > 0
        known = record.names.get(key)
        if known is None or (deep and not known[0]):
            source = self._localcontext.get(key, Undefined) if self._localcontext else value
            record.names[key] = (deep, self._digest_name(source, deep))
        if isinstance(value, self.content):
            self.touch(value)

    def touch(self, obj) -> None:
        record = self._current
        if record is not None and obj.source_path not in record.objects:
            record.objects[obj.source_path] = self.digests.of_object(obj)

    def attribute(self, obj, attribute: str, value) -> None:
        """A template read ``obj.attribute`` (a story's or page's): that value counts.

        A list page that shows a story's headline and link then depends on
        those, not on the story's body. A method of the object reads what it
        likes: the whole object counts.
        """
        record = self._current
        if record is None:
            return
        source = obj.source_path
        if source in record.objects:
            return  # all of it counts already
        key = (source, attribute)
        if key in record.attributes:
            return
        if callable(value) and getattr(value, "__self__", None) is obj:
            self.touch(obj)
            return
        record.attributes[key] = self._digest_attribute(value)

    def _digest_attribute(self, value) -> str:
        if value is Undefined or isinstance(value, Undefined):
            return "missing"
        prefix = _SCALARS.get(type(value))
        found = prefix + str(value) if prefix is not None else self.digests.of_value(value)
        return found if len(found) <= _SHORT else "h:" + _hash([found])

    def touch_deep(self, value) -> None:
        """Every content object in ``value`` (a filter's argument) counts in full."""
        record = self._current
        # (Only a story or a container can hold one: _reachable finds none in
        # anything else, a date or a string.)
        if record is None or not isinstance(value, (self.content, list, tuple, set, frozenset,
                                                    dict)):
            return
        record.objects.update(self._reachable(value))

    def _reachable(self, value, depth: int = 0) -> dict[str, str]:
        """Content objects in ``value`` (and those they hold: related stories,
        neighbours), each with its digest; once per value and build."""
        key = (id(value), depth)
        found = self._reachable_memo.get(key)
        if found is not None:
            return found
        found = {}
        if isinstance(value, self.content):
            found[value.source_path] = self.digests.of_object(value)
            if depth < 3:  # what Python code may read through it
                for item in vars(value).values():
                    if isinstance(item, (self.content, list, tuple)):
                        found.update(self._reachable(item, 3))
        elif depth <= 4 and isinstance(value, (list, tuple, set, frozenset, dict)):
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                if not isinstance(item, (str, int, float, bool, type(None))):
                    found.update(self._reachable(item, depth + 1))
        self._reachable_memo[key] = found
        self._reachable_keep.append(value)
        return found

    def _digest_name(self, value, deep: bool) -> str:
        if value is Undefined:
            return "missing"
        return self.digests.of_value(value, deep=deep)

    # Around each render.

    def unchanged(self, name: str, template_name: str, localcontext: dict) -> PageRecord | None:
        record = self.records.get(name)
        if record is None or record.template != template_name:
            return None
        get, of_value, scalars = localcontext.get, self.digests.of_value, _SCALARS
        for key, (deep, digest) in record.names.items():
            value = get(key, Undefined)
            prefix = scalars.get(type(value))  # (_digest_name's common case, inline)
            if (prefix + str(value) if prefix is not None else "missing" if value is Undefined
                    else of_value(value, deep)) != digest:
                return None
        objects, of_object = self._objects, self.digests.of_object
        for source, digest in record.objects.items():
            obj = objects.get(source)
            if obj is None or of_object(obj) != digest:
                return None
        known, digest_attribute = self._attribute_digests, self._digest_attribute
        for key, digest in record.attributes.items():
            found = known.get(key)
            if found is None:
                source, attribute = key
                obj = objects.get(source)
                if obj is None:
                    return None
                # (Memoised for the build: a story's URL is a property that
                # costs a little each time, and many pages read it.)
                found = known[key] = digest_attribute(getattr(obj, attribute, Undefined))
            if found != digest:
                return None
        return record

    def render(self, template, localcontext: dict) -> str:
        name = localcontext.get("output_file", "")
        if name in self.rendered_now:
            self.repeated.add(name)  # written twice (Pelican's override)
        self.rendered_now.add(name)
        checked, self._checked = self._checked, None
        if checked is not None and checked[0] is localcontext and checked[1:3] == (
                name, template.name):
            record = checked[3]  # (``can_skip`` just looked, for the same render)
        else:
            record = self.unchanged(name, template.name, localcontext)
        if record is not None:
            text = record.output if self.published is None else self.published(name, record)
            if text is not None:
                self.skipped += 1
                return text
        record = PageRecord(template.name)
        self._current, self._localcontext = record, localcontext
        before = self._marks()
        try:
            output = template.render_directly(localcontext)
        finally:
            self._current, self._localcontext = None, None
        self.rendered += 1
        if self._marks() != before:
            # The render logged a problem or read the clock: render it every
            # time, so the problem is reported again and the date is right.
            self.records.pop(name, None)
            self.made_now.discard(name)
            return output
        if self.published is None:
            record.output = output
        self.records[name] = record
        self.made_now.add(name)
        return output

    def _marks(self) -> tuple[int, int]:
        """Problems logged and clock readings so far (a render that adds any is not kept)."""
        from newsroom.core.clock import output_changes_count

        return (self.counter.count if self.counter is not None else 0, output_changes_count())

    def can_skip(self, template_name: str, localcontext: dict) -> bool:
        """Whether ``render`` would take this page as it is (by its record alone).

        The answer is kept for a ``render`` of the same page and context
        right after (nothing it depends on changes in between).
        """
        name = localcontext.get("output_file", "")
        record = self.unchanged(name, template_name, localcontext)
        self._checked = (localcontext, name, template_name, record)
        return record is not None

    def made_record(self, name: str) -> PageRecord | None:
        """The record this build's render of ``name`` made (None if none was kept)."""
        return self.records.get(name) if name in self.made_now else None

    def adopt(self, name: str, record: PageRecord | None) -> None:
        """A record another process made when it rendered ``name`` for this build."""
        if name in self.rendered_now:
            self.repeated.add(name)
        self.rendered_now.add(name)
        self.rendered += 1
        if record is None:
            self.records.pop(name, None)
            self.made_now.discard(name)
        else:
            self.records[name] = record
            self.made_now.add(name)

    def start_build(self) -> None:
        """Forget the last build's objects and digests (the records stay)."""
        self.digests = Digests()
        self.rendered_now: set[str] = set()  # pages this build asked for
        self.made_now: set[str] = set()  # ... whose record this build made
        self.repeated: set[str] = set()  # ... more than once (which one is on disk?)
        self.rendered = 0
        self.skipped = 0
        self._objects: dict[str, object] = {}
        self._attribute_digests: dict[tuple[str, str], str] = {}  # as ``unchanged`` saw them
        self._reachable_memo: dict[tuple[int, int], dict[str, str]] = {}
        self._reachable_keep: list = []

    def note_object(self, obj) -> None:
        """Every content object this build makes (``content_object_init``), by source path."""
        path = getattr(obj, "source_path", None)
        if path:
            self._objects[path] = obj

    def forget(self) -> None:
        self.records.clear()

    # Hooks installed on each generator's Jinja environment.

    def install(self, environment: Environment) -> None:
        recorder = self
        content = self.content

        resolve, environment_getattr = Context.resolve_or_missing, Environment.getattr

        # Called for every variable and attribute a template reads: the
        # common cases (read before in this render) return early, inline.
        class RecordingContext(Context):
            def resolve_or_missing(self, key):
                value = resolve(self, key)
                record = recorder._current
                if record is not None:
                    if key in record.names and not recorder._python_depth:
                        if isinstance(value, content):
                            recorder.touch(value)
                    else:
                        recorder.name(key, value)
                return value

        def getattr_(obj, attribute):
            value = environment_getattr(environment, obj, attribute)
            if isinstance(obj, content):
                record = recorder._current
                if record is not None and (obj.source_path, attribute) not in record.attributes:
                    recorder.attribute(obj, attribute, value)
            return value

        def getitem(obj, argument):
            if isinstance(obj, content):
                recorder.touch(obj)
            return Environment.getitem(environment, obj, argument)

        environment.context_class = RecordingContext
        environment.getattr = getattr_
        environment.getitem = getitem
        for table in (environment.filters, environment.globals, environment.tests):
            for key, function in list(table.items()):
                module = getattr(function, "__module__", "") or ""
                if callable(function) and not module.startswith("jinja2"):
                    table[key] = self._recorded_callable(function)

    def record_generator(self, generator) -> None:
        """``generator_init``: record on its Jinja environment; its templates render through us."""
        self.install(generator.env)
        original = generator.get_template
        recorder = self

        def get_template(name):
            return RecordingTemplate(original(name), recorder)

        generator.get_template = get_template

    def _recorded_callable(self, function):
        if getattr(function, "__newsroom_recorded__", False):
            return function
        recorder = self

        own_data_only = getattr(function, "__newsroom_reads_own_data__", False)
        content = self.content

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for value in (*args, *kwargs.values()):
                if own_data_only and isinstance(value, content):
                    recorder.touch(value)
                else:
                    recorder.touch_deep(value)
            recorder._python_depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                recorder._python_depth -= 1

        wrapper.__newsroom_recorded__ = True
        if function is len:  # Jinja's ``count`` and ``length`` filters
            @functools.wraps(function)
            def length(*args, **kwargs):
                # The size of a plain container is all len() reads of it: how
                # the page got the container (a variable, a story's attribute)
                # is recorded already, with its items; their data is not read.
                if len(args) == 1 and not kwargs and type(args[0]) in _SIZED:
                    return len(args[0])
                return wrapper(*args, **kwargs)

            length.__newsroom_recorded__ = True
            return length
        return wrapper


def reads_own_data_only(function):
    """Declares that ``function`` (a template filter or function) reads, of
    a story or page it is given, only that object's own data: not the data
    of the stories it links to or lists (related stories, neighbours), which
    then count by their path only. Without it, what a helper is given counts
    with everything reachable from it.
    """
    function.__newsroom_reads_own_data__ = True
    return function


# Containers whose len() reads nothing of their items.
_SIZED = frozenset({list, tuple, dict, set, frozenset, str})


class RecordingTemplate:
    """A Jinja template whose ``render`` goes through the recorder."""

    def __init__(self, template, recorder: PageRecorder):
        self._template = template
        self._recorder = recorder
        self.name = template.name

    def render_directly(self, *args, **kwargs):
        return self._template.render(*args, **kwargs)

    def render(self, localcontext=None, **kwargs):
        if localcontext is None or kwargs:
            return self._template.render(localcontext or {}, **kwargs)
        return self._recorder.render(self, localcontext)

    # For newsroom/build/parallel_render.py: a page the render child takes
    # from its record it leaves alone; one it renders, it sends back with
    # the record made.
    def can_skip(self, localcontext: dict) -> bool:
        return self._recorder.can_skip(self.name, localcontext)

    def made_record(self, localcontext: dict):
        return self._recorder.made_record(localcontext.get("output_file", ""))

    def adopt(self, localcontext: dict, record) -> None:
        self._recorder.adopt(localcontext.get("output_file", ""), record)

    def __getattr__(self, name):
        return getattr(self._template, name)
