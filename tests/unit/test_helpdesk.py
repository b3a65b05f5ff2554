"""帮助与支持's rules: the Chinese search, the shipped articles' format, the tickets' statuses and
the attachments a ticket accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.articles import (
    TOPICS,
    ArticleRefused,
    article_check,
    article_parse,
    page_article,
    pages_of,
)
from fapiao.domain.helpsearch import Document, Index, excerpt, normalise, terms
from fapiao.domain.tickets import (
    ATTACHMENT_MAX,
    OPEN,
    STAFF_MOVES,
    Status,
    TicketRefused,
    after_reply,
    attachment_check,
    category_check,
    duration_text,
    elapsed,
    rating_check,
    staff_move,
    text_check,
    user_may_close,
)

SHIPPED = Path(__file__).resolve().parents[2] / "src/fapiao/support/shipped"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20


# --- search -----------------------------------------------------------------------------------


def test_terms_are_bigrams_of_chinese_and_whole_latin_words() -> None:
    assert terms("清卡未成功") == ["清卡", "卡未", "未成", "成功"]
    assert terms("ＯＦＤ 文件 2fa") == ["ofd", "2fa", "文件"]
    assert terms("卡") == ["卡"]
    assert normalise("ＡＢＣ") == "abc"


def test_a_synonym_finds_the_article_that_says_it_another_way() -> None:
    index = Index(
        [
            Document("said", "清卡的结果", "清卡未成功时页面会显示原因。"),
            Document("other", "清卡的步骤", "先抄报，再申报，最后清卡。清卡很重要。"),
            Document("none", "打印", "纸张和偏移。"),
        ]
    )
    assert index.search("清卡失败")[0].key == "said"
    assert [hit.key for hit in index.search("清卡")] == ["other", "said"]
    assert index.search("完全无关的词") == []


def test_an_empty_index_finds_nothing() -> None:
    assert Index([]).search("清卡") == []


def _shipped_index() -> Index:
    articles = [article_parse(p.read_text(encoding="utf-8")) for p in SHIPPED.glob("*.md")]
    return Index(Document(a.slug, a.title, a.body) for a in articles)


#: how users put their questions → the article that answers them
PHRASINGS = {
    "清卡失败": "clearing-rejected",
    "清卡未成功": "clearing-rejected",
    "清卡中断了": "clearing-interrupted",
    "忘记密码了": "forgot-password",
    "找回密码": "forgot-password",
    "账号被锁": "account-locked",
    "登不上去": "login-failed",
    "账户不存在": "login-failed",
    "发票开错了": "wrong-invoice",
    "打印纸张大小不对": "printing",
    "发票打印偏了": "printing",
    "查不到发票": "invoice-not-found",
    "查验次数超了": "verify-limit",
    "红字确认单怎么开": "red-forms",
    "离线限额": "offline-limits",
    "授信额度不够": "credit-line",
    "设备锁死了": "lock-date",
    "超过单张限额": "single-limit",
    "两步验证手机丢了": "two-factor",
    "怎么联系客服": "contact-support",
    "页面过期": "page-expired",
    "作废发票": "void-rules",
}


@pytest.mark.parametrize(("query", "slug"), PHRASINGS.items())
def test_the_shipped_help_answers_each_phrasing_first(query: str, slug: str) -> None:
    assert _shipped_index().search(query)[0].key == slug


def test_an_excerpt_is_taken_around_the_first_match() -> None:
    body = "开头的话。" * 30 + "这里讲清卡未成功的原因。" + "结尾。" * 30
    piece = excerpt(body, "清卡", width=40)
    assert "清卡" in piece and piece.startswith("…") and piece.endswith("…")
    assert excerpt("短文", "无关") == "短文"


@given(st.text(max_size=200), st.text(max_size=30))
def test_search_never_fails_and_scores_are_positive(body: str, query: str) -> None:
    hits = Index([Document("a", "标题", body), Document("b", "", "")]).search(query)
    assert all(hit.score > 0 for hit in hits)
    assert excerpt(body, query, width=20) is not None


# --- articles ---------------------------------------------------------------------------------


def test_every_shipped_article_parses_with_a_topic_and_a_date() -> None:
    files = sorted(SHIPPED.glob("*.md"))
    assert len(files) >= 30
    for path in files:
        article = article_parse(path.read_text(encoding="utf-8"))
        assert article.slug == path.stem
        assert article.topic in TOPICS
        assert isinstance(article.updated, date)
    assert {article_parse(p.read_text(encoding="utf-8")).topic for p in files} == set(TOPICS)


def test_a_malformed_article_is_refused_naming_its_field() -> None:
    good = "slug: a-b\ntopic: faq\ntitle: 标题\n---\n正文\n"
    assert article_parse(good).pages == ()
    for text, field in (
        ("slug: a\ntopic: faq\ntitle: t\n正文", "header"),
        ("slug a\n---\n正文", "header"),
        ("slug: A_B\ntopic: faq\ntitle: t\n---\n正文", "slug"),
        ("slug: a\ntopic: nope\ntitle: t\n---\n正文", "topic"),
        ("slug: a\ntopic: faq\ntitle: \n---\n正文", "title"),
        ("slug: a\ntopic: faq\ntitle: t\n---\n  ", "body"),
        ("slug: a\ntopic: faq\ntitle: t\nupdated: 12/1\n---\n正文", "updated"),
        ("slug: a\ntopic: faq\ntitle: t\npages: closing/\n---\n正文", "pages"),
    ):
        with pytest.raises(ArticleRefused) as refused:
            article_parse(text)
        assert refused.value.field == field, text
    with pytest.raises(ArticleRefused, match="标题不能超过"):
        article_check(slug="a", topic="faq", title="长" * 81, body="x")
    with pytest.raises(ArticleRefused, match="正文不能超过"):
        article_check(slug="a", topic="faq", title="t", body="x" * 50_001)


def test_a_page_opens_the_article_of_its_longest_address() -> None:
    pages = {"/": "home", "/settings/": "company", "/settings/me/": "me"}
    assert page_article("/settings/me/security/", pages) == "me"
    assert page_article("/settings/keys/", pages) == "company"
    assert page_article("/", pages) == "home"
    assert page_article("/issue/", pages) is None
    assert pages_of("/a/，/b/, ") == ("/a/", "/b/")


# --- tickets ----------------------------------------------------------------------------------


def test_support_moves_a_ticket_only_where_it_may_go() -> None:
    assert staff_move(Status.PENDING, Status.SOLVED) == Status.SOLVED
    assert staff_move(Status.CLOSED, Status.CLOSED) == Status.CLOSED
    assert staff_move(Status.CLOSED, Status.IN_PROGRESS) == Status.IN_PROGRESS  # reopened
    with pytest.raises(TicketRefused, match="不能从“已关闭”改为“已解决”"):
        staff_move(Status.CLOSED, Status.SOLVED)
    with pytest.raises(TicketRefused):
        staff_move(Status.SOLVED, Status.AWAITING_USER)


@given(st.sampled_from(list(Status)), st.booleans(), st.booleans())
def test_a_reply_goes_to_the_other_side(current: Status, staff: bool, assigned: bool) -> None:
    after = after_reply(current, by_staff=staff, assigned=assigned)
    if staff:
        assert after == (Status.AWAITING_USER if current in OPEN else current)
    else:  # the user's reply always wants support again, a solved or closed ticket reopened
        assert after == (Status.IN_PROGRESS if assigned else Status.PENDING)
        assert after in OPEN


def test_every_status_can_be_left_and_closed_is_reachable_from_all() -> None:
    assert set(STAFF_MOVES) == set(Status)
    for status, moves in STAFF_MOVES.items():
        assert moves and status not in moves
        assert Status.CLOSED in moves or status == Status.CLOSED
    assert user_may_close(Status.SOLVED) and not user_may_close(Status.CLOSED)


def test_rating_ticket_text_and_category_checks() -> None:
    assert rating_check(Status.SOLVED, 5) == 5
    with pytest.raises(TicketRefused, match="解决后"):
        rating_check(Status.IN_PROGRESS, 5)
    with pytest.raises(TicketRefused, match="1到5"):
        rating_check(Status.CLOSED, 6)
    assert category_check("closing") == "closing"
    with pytest.raises(TicketRefused, match="问题类型"):
        category_check("nope")
    assert text_check("  标题 ", field="subject", label="标题") == "标题"
    with pytest.raises(TicketRefused, match="请填写标题"):
        text_check(" ", field="subject", label="标题")
    with pytest.raises(TicketRefused, match="不能超过3个字符"):
        text_check("四个字啊", field="subject", label="标题", limit=3)


def test_durations_read_as_a_clerk_says_them() -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert elapsed(start, None) is None
    assert elapsed(start, start - timedelta(minutes=1)) == timedelta(0)
    cases = {
        None: "—",
        timedelta(seconds=10): "不到1分钟",
        timedelta(seconds=40): "1分钟",
        timedelta(minutes=5): "5分钟",
        timedelta(hours=2): "2小时",
        timedelta(hours=2, minutes=5): "2小时5分钟",
        timedelta(days=1): "1天",
        timedelta(days=1, hours=4, minutes=10): "1天4小时",
    }
    for span, text in cases.items():
        assert duration_text(span) == text


# --- attachments ------------------------------------------------------------------------------


def test_pictures_and_documents_whose_content_fits_their_name_are_accepted() -> None:
    assert attachment_check("截图.png", PNG, 100).picture
    assert attachment_check("a.JPG", b"\xff\xd8\xff\xe0", 100).content_type == "image/jpeg"
    assert attachment_check("a.webp", b"RIFF\0\0\0\0WEBPVP8 ", 100).picture
    assert not attachment_check("发票.pdf", b"%PDF-1.7", 100).picture
    assert attachment_check("日志.txt", "清卡失败".encode("gb18030"), 10).extension == "txt"
    assert attachment_check("a.txt", "清卡".encode()[:-1], 10).extension == "txt"  # cut inside
    assert attachment_check("a.xml", b"<?xml version='1.0'?><EInvoice/>", 40).extension == "xml"


@pytest.mark.parametrize(
    ("name", "head", "size", "said"),
    [
        ("setup.png", b"MZ\x90\x00", 100, "内容与其扩展名不符"),
        ("setup.exe", b"MZ\x90\x00", 100, "类型不允许"),
        ("a.svg", b"<svg onload=alert(1)>", 100, "类型不允许"),
        ("a.png", b"<svg><script>alert(1)</script></svg>", 100, "内容与其扩展名不符"),
        ("a.xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", 100, "不符"),
        ("a.txt", b"<html><script>alert(1)</script>", 100, "不符"),
        ("a.txt", b"MZ\x90\x00\x03", 100, "不符"),
        ("a.txt", b"\xff\xfe\x00\x00", 100, "不符"),
        ("a.txt", b"\x81\x30\xff\xff", 100, "不符"),
        ("a.webp", b"RIFF\0\0\0\0WAVEfmt ", 100, "不符"),
        ("../../etc/passwd.png", PNG, 100, "不能含路径"),
        ("..\\..\\x.png", PNG, 100, "不能含路径"),
        ("a..png", PNG, 100, "不能含路径"),
        (".png", PNG, 100, "不能含路径"),
        ("README", b"text", 100, "类型不允许"),
        ("a\x00.png", PNG, 100, "不能含路径"),
        ("", PNG, 100, "不能含路径"),
        ("a" * 101 + ".png", PNG, 100, "不能含路径"),
        ("a.png", PNG, 0, "空文件"),
        ("a.png", PNG, ATTACHMENT_MAX + 1, "过大"),
    ],
)
def test_a_dangerous_or_wrong_attachment_is_refused(
    name: str, head: bytes, size: int, said: str
) -> None:
    with pytest.raises(TicketRefused, match=said) as refused:
        attachment_check(name, head, size)
    assert refused.value.field == "attachments"
