"""Writer profiles (content/authors/<slug>.md, writer_profiles plugin) on real builds.

One content copy gets a profile with a role, a photo (credited in its
sidecar, alt text in the profile) and a bio, a story by that writer and the
desk, and a story by a writer without a profile. It is built for
publishing (feeds, JSON-LD) and twice for development, with and without the
profile, to show that a profile changes nothing but the writer's own page.
One more build collects every mistake a profile or byline can make.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
from PIL import Image, ImageDraw

from helpers.building import ARTICLE_URL, PUBLISHING, ROOT, copy_content, run_build
from helpers.validator import vnu_errors

PUBLIC_SITEURL = "https://news.example.org"
JANE_PAGE = "author/jane-doe/"
JANE_STORY = "2024/06/budget-vote-delayed/"
SAM_STORY = "2024/06/markets-rally/"

PROFILE = """Name: Jane Doe
Role: Political correspondent
Photo: {static}/images/jane-doe.jpg
Photo_alt: Jane Doe in the newsroom, smiling

Jane has covered *Parliament* since 2019. Her latest story is
[about the budget]({filename}../articles/2024-06-20-budget.md).
"""

STORIES = {
    "2024-06-20-budget.md": """Title: Budget vote delayed
Date: 2024-06-20 10:00
Category: Politics
Authors: Jane Doe, Staff Reporter
Summary: The vote moves to next week.

Members asked for more time to read the estimates.
""",
    "2024-06-21-markets.md": """Title: Markets rally
Date: 2024-06-21 10:00
Category: Business
Authors: Sam Otieno
Summary: Shares rose on the Nairobi exchange.

Banks led the gains.
""",
}


def portrait(path: Path, credit: str | None = "The Ledger/Photo Desk") -> None:
    """A small portrait-format JPEG with no embedded text (credit in a sidecar)."""
    image = Image.new("RGB", (600, 800), (110, 80, 60))
    ImageDraw.Draw(image).ellipse((150, 150, 450, 520), fill=(220, 180, 150))
    image.save(path, quality=90)
    if credit:
        Path(f"{path}.sidecar.txt").write_text(f"credit: {credit}\n", encoding="utf-8")


def writer_content(base: Path, profile: bool = True) -> Path:
    content = copy_content(base)
    for name, text in STORIES.items():
        (content / "articles" / name).write_text(text, encoding="utf-8")
    portrait(content / "images" / "jane-doe.jpg")
    if profile:
        (content / "authors").mkdir(exist_ok=True)
        (content / "authors" / "jane-doe.md").write_text(PROFILE, encoding="utf-8")
        # A writer with no story yet: no page, and their photo is not published.
        portrait(content / "images" / "kim-lee.jpg")
        (content / "authors" / "kim-lee.md").write_text(
            "Name: Kim Lee\nPhoto: {static}/images/kim-lee.jpg\nPhoto_alt: Kim Lee\n\nNew.\n",
            encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("writers-published")
    content = writer_content(base)
    result = run_build(base / "output", settings=PUBLISHING,
                       overrides={"PATH": str(content)}, search=False,
                       env={"SITEURL": PUBLIC_SITEURL})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def development(tmp_path_factory):
    """(with the profile, without it): development builds of the same stories."""
    builds = []
    for profile in (True, False):
        base = tmp_path_factory.mktemp("writers-dev")
        content = writer_content(base, profile=profile)
        result = run_build(base / "output", overrides={"PATH": str(content)}, search=False)
        assert result.returncode == 0, result.stdout + result.stderr
        builds.append(result)
    return builds


def json_ld(site, url: str) -> list[dict]:
    return [json.loads(s.text) for s in site.page(url).xpath("//script[@type='application/ld+json']")]


def news_article(site, url: str) -> dict:
    found = [item for item in json_ld(site, url) if item.get("@type") == "NewsArticle"]
    assert len(found) == 1
    return found[0]


def site_file(output: Path, url: str) -> Path:
    assert url.startswith(PUBLIC_SITEURL + "/"), url
    path = url[len(PUBLIC_SITEURL) + 1:]
    return output / (path + "index.html" if path == "" or path.endswith("/") else path)


def text(element) -> str:
    return " ".join(element.text_content().split())


# --- the writer page --------------------------------------------------------------

def test_writer_page_shows_name_role_photo_and_bio_above_the_stories(published):
    page = published.page(JANE_PAGE)
    main = page.xpath("//main")[0]
    header = main.xpath("./header[contains(@class, 'writer-profile')]")
    assert len(header) == 1
    header = header[0]
    assert [text(h) for h in page.xpath("//h1")] == ["Jane Doe"]
    assert text(header.xpath(".//*[@class='writer-profile__role']")[0]) == "Political correspondent"
    # The photo: responsive, with its alt text, credited.
    figure = header.xpath(".//figure[@class='writer-profile__photo']")[0]
    img = figure.xpath(".//picture//img")[0]
    assert img.get("alt") == "Jane Doe in the newsroom, smiling"
    assert img.get("width") and img.get("height") and img.get("srcset")
    assert img.get("sizes") == "9rem"
    assert {s.get("type") for s in figure.xpath(".//picture//source")} == {"image/avif", "image/webp"}
    urls = [img.get("src")] + [c.split()[0] for s in figure.xpath(".//@srcset") for c in s.split(",")]
    for url in urls:
        assert site_file(published.output, url).is_file(), url
    assert text(figure.xpath(".//figcaption/span[@class='credit']")[0]) == "The Ledger/Photo Desk"
    # The bio: Markdown, with its link resolved to the story.
    bio = header.xpath(".//*[@class='writer-profile__bio']")[0]
    assert "Jane has covered Parliament since 2019." in text(bio)
    assert bio.xpath(".//em[text()='Parliament']")
    assert bio.xpath(".//a/@href") == [f"{PUBLIC_SITEURL}/{JANE_STORY}"]
    # Then her stories.
    assert main.xpath("./header/following-sibling::ol[@class='story-grid']//h2//a/@href") == [
        f"{PUBLIC_SITEURL}/{JANE_STORY}"]
    description = page.xpath("//meta[@name='description']/@content")[0]
    assert description == "Stories by Jane Doe, Political correspondent, on The Ledger."


def test_byline_links_the_writer_page(published):
    links = published.page(JANE_STORY).xpath("//*[contains(@class, 'byline')]//a[@rel='author']")
    assert [(a.text, a.get("href")) for a in links] == [
        ("Jane Doe", f"{PUBLIC_SITEURL}/{JANE_PAGE}"),
        ("Staff Reporter", f"{PUBLIC_SITEURL}/author/staff-reporter/"),
    ]


def test_profile_of_a_writer_without_stories_publishes_nothing(published):
    assert not published.exists("author/kim-lee/")
    assert not list(published.output.rglob("kim-lee*"))
    assert list((published.output / "images" / "renditions").glob("jane-doe-*"))


def test_writer_without_profile_has_the_plain_writer_page(published):
    page = published.page("author/sam-otieno/")
    assert [text(h) for h in page.xpath("//h1")] == ["Sam Otieno"]
    assert not page.xpath("//*[contains(@class, 'writer-profile')]")
    assert page.xpath("//ol[@class='story-grid']//h2//a/@href") == [f"{PUBLIC_SITEURL}/{SAM_STORY}"]


# --- the writer's feed ----------------------------------------------------------------

def test_writer_page_has_its_own_atom_feed(published):
    feed_url = f"{PUBLIC_SITEURL}/feeds/author/jane-doe.atom.xml"
    links = published.page(JANE_PAGE).xpath(
        "//head/link[@rel='alternate'][@type='application/atom+xml']/@href")
    assert feed_url in links
    feed = feedparser.parse(site_file(published.output, feed_url).read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "The Ledger: Jane Doe"
    assert [entry.link for entry in feed.entries] == [f"{PUBLIC_SITEURL}/{JANE_STORY}"]
    assert [a.get("name") for a in feed.entries[0].authors] == ["Jane Doe", "Staff Reporter"]
    # Every writer has one, profile or not; RSS too.
    for slug in ("sam-otieno", "staff-reporter"):
        for kind in ("atom", "rss"):
            path = published.output / f"feeds/author/{slug}.{kind}.xml"
            assert feedparser.parse(path.read_bytes()).bozo == 0, path


# --- JSON-LD ------------------------------------------------------------------------------

def test_json_ld_author_is_a_person_with_page_role_and_photo(published):
    jane, desk = news_article(published, JANE_STORY)["author"]
    assert jane["@type"] == "Person"
    assert jane["name"] == "Jane Doe"
    assert jane["url"] == f"{PUBLIC_SITEURL}/{JANE_PAGE}"
    assert jane["jobTitle"] == "Political correspondent"
    with Image.open(site_file(published.output, jane["image"])) as image:
        assert image.format == "JPEG"
        assert image.width == image.height  # the square crop
    assert desk == {"@type": "Organization", "name": "Staff Reporter",
                    "url": f"{PUBLIC_SITEURL}/author/staff-reporter/"}


def test_json_ld_author_without_profile_is_a_person_with_name_and_url(published):
    assert news_article(published, SAM_STORY)["author"] == [
        {"@type": "Person", "name": "Sam Otieno", "url": f"{PUBLIC_SITEURL}/author/sam-otieno/"}]


def test_seed_article_json_ld_is_unchanged(published):
    assert news_article(published, ARTICLE_URL)["author"] == [
        {"@type": "Organization", "name": "Staff Reporter",
         "url": f"{PUBLIC_SITEURL}/author/staff-reporter/"}]


# --- a profile changes only the writer's page ------------------------------------------

def test_profile_changes_nothing_but_the_writer_page(development):
    with_profile, without = development
    pages = sorted(p.relative_to(without.output) for p in without.output.rglob("*.html"))
    assert Path(ARTICLE_URL, "index.html") in pages and Path(JANE_STORY, "index.html") in pages
    assert sorted(p.relative_to(with_profile.output)
                  for p in with_profile.output.rglob("*.html")) == pages
    changed = [str(page) for page in pages
               if (with_profile.output / page).read_bytes() != (without.output / page).read_bytes()]
    assert changed == [f"{JANE_PAGE}index.html"]
    # The seed article, byte for byte.
    seed = Path(ARTICLE_URL, "index.html")
    assert (with_profile.output / seed).read_bytes() == (without.output / seed).read_bytes()


def test_development_writer_page_uses_relative_urls(development):
    page = development[0].page(JANE_PAGE)
    img = page.xpath("//figure[@class='writer-profile__photo']//img")[0]
    assert img.get("src").startswith("../../images/renditions/jane-doe-")
    assert (development[0].output / JANE_PAGE / img.get("src")).resolve().is_file()
    assert page.xpath("//*[@class='writer-profile__bio']//a/@href") == [f"../../{JANE_STORY}"]


def test_profile_readme_is_not_published(development):
    # content/authors/README.md explains the folder to editors.
    assert (ROOT / "content" / "authors" / "README.md").is_file()
    for build in development:
        assert not any("README" in p.name for p in build.output.rglob("*"))
        assert not (build.output / "authors").exists()


# --- mistakes ------------------------------------------------------------------------------

BAD_STORIES = {
    # Same writer page as the profile "Jane Doe", other capitals.
    "2024-06-22-case.md": "Title: Case\nDate: 2024-06-22 10:00\nCategory: News\n"
                          "Authors: jane doe\nSummary: x.\n\nBody.\n",
    # Other spacing, and the desk byline in small letters.
    "2024-06-23-space.md": "Title: Space\nDate: 2024-06-23 10:00\nCategory: News\n"
                           "Tags: Budget\nAuthors: Jane  Doe, staff reporter\nSummary: x.\n\nBody.\n",
    # No profile: two stories spell one desk two ways.
    "2024-06-24-desk.md": "Title: Desk one\nDate: 2024-06-24 10:00\nCategory: Sport\n"
                          "Authors: Sports Desk\nSummary: x.\n\nBody.\n",
    "2024-06-25-desk.md": "Title: Desk two\nDate: 2024-06-25 10:00\nCategory: Sport\n"
                          "Authors: sports desk\nSummary: x.\n\nBody.\n",
}
BAD_PROFILES = {
    # Photo without alt text anywhere (no Photo_alt, sidecar or XMP).
    "sam-kamau.md": "Name: Sam Kamau\nRole: Photographer\nPhoto: {static}/images/no-alt.jpg\n\nBio.\n",
    # Unknown keys: one the profile does not know, one a story's.
    "amina-odhiambo.md": "Name: Amina Odhiambo\nRole: Sports editor\nTwitter: @amina\n"
                         "Image: {static}/images/jane-doe.jpg\n\nBio.\n",
    # The Name's slug is not the file name.
    "john-smith.md": "Name: Jon Smith\n\nBio.\n",
}


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory):
    base = tmp_path_factory.mktemp("writers-mistakes")
    content = writer_content(base)
    portrait(content / "images" / "no-alt.jpg", credit=None)
    for name, text_ in BAD_STORIES.items():
        (content / "articles" / name).write_text(text_, encoding="utf-8")
    for name, text_ in BAD_PROFILES.items():
        (content / "authors" / name).write_text(text_, encoding="utf-8")
    result = run_build(base / "output", overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 1
    return result.stdout + result.stderr


def error_line(log: str, where: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith(f"error: {where}: ")]
    assert len(lines) == 1, (where, log)
    return lines[0]


def test_byline_differing_in_case_names_both_spellings(mistakes):
    line = error_line(mistakes, "content/articles/2024-06-22-case.md:4")
    assert '"jane doe"' in line and '"Jane Doe"' in line
    assert "capital letters" in line and "content/authors/jane-doe.md" in line


def test_byline_differing_in_spacing_names_both_spellings(mistakes):
    lines = [line for line in mistakes.splitlines()
             if line.startswith("error: content/articles/2024-06-23-space.md:5: ")]
    assert len(lines) == 2, mistakes
    jane = next(line for line in lines if '"Jane  Doe"' in line)
    assert '"Jane Doe"' in jane and "spacing" in jane
    desk = next(line for line in lines if '"staff reporter"' in line)
    assert '"Staff Reporter"' in desk and "DESK_BYLINES" in desk


def test_one_byline_spelled_two_ways_without_profile(mistakes):
    line = error_line(mistakes, "content/articles/2024-06-25-desk.md:4")
    assert '"sports desk"' in line and '"Sports Desk"' in line
    assert "content/articles/2024-06-24-desk.md:4" in line
    assert "content/authors/sports-desk.md" in line


def test_profile_photo_without_alt_text(mistakes):
    line = error_line(mistakes, "content/authors/sam-kamau.md:3")
    assert "content/images/no-alt.jpg" in line and "no alt text" in line


def test_unknown_profile_keys_suggest_the_nearest(mistakes):
    twitter = error_line(mistakes, "content/authors/amina-odhiambo.md:3")
    assert 'unknown field "Twitter:"' in twitter
    assert "Name, Photo, Photo_alt, Role" in twitter
    image = error_line(mistakes, "content/authors/amina-odhiambo.md:4")
    assert 'unknown field "Image:"; did you mean "Photo:"?' in image


def test_profile_name_must_match_file_name(mistakes):
    line = error_line(mistakes, "content/authors/john-smith.md:1")
    assert '"Jon Smith"' in line and "rename the file to jon-smith.md" in line


def test_mistakes_are_reported_without_traceback(mistakes):
    assert "Traceback" not in mistakes
    assert "error: content/articles/2024-06-20-budget.md" not in mistakes


# --- validity and accessibility of the writer page --------------------------------------

@pytest.mark.validator
def test_writer_pages_are_valid_html(published, development, tmp_path):
    pages = tmp_path / "pages"
    for n, build in enumerate((published, development[0])):
        for url in (JANE_PAGE, "author/sam-otieno/", JANE_STORY):
            target = pages / str(n) / url / "index.html"
            target.parent.mkdir(parents=True)
            shutil.copy(build.output / url / "index.html", target)
    errors = vnu_errors([pages])
    assert not errors, "\n".join(errors)


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
def test_writer_page_in_the_browser(development, browser, serve_site, width):
    """No sideways scrolling, the photo loads, axe-core finds nothing (light and dark)."""
    from axe_playwright_python.sync_playwright import Axe

    served = serve_site(development[0].output)
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    violations = []
    try:
        page = context.new_page()
        page.goto(served.url + JANE_PAGE, wait_until="load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        loaded = page.evaluate(
            "document.querySelector('.writer-profile__photo img').naturalWidth")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
            violations += [f"{scheme}: {v['id']}: {v['help']}"
                           for v in Axe().run(page).response["violations"]]
    finally:
        context.close()
    assert overflow <= 0
    assert loaded > 0
    assert not violations, violations
