"""Searching the help centre's articles in Chinese, without a word list.

Chinese has no spaces between words, so a text is indexed by its overlapping pairs of characters
(bigrams: 清卡未成功 → 清卡 卡未 未成 成功) and by its Latin words and numbers (``OFD``, ``2fa``,
``72``). A query is cut the same way, and each of its words that users say in several ways
(失败 / 未成功 / 不成功, 登录 / 登陆) also brings the other ways' pairs, at a lower weight; so
"清卡失败" finds an article that says "清卡未成功". Articles are ranked by BM25 over their pairs
(title and text together), plus a bonus for each term of the query their title holds.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: ways of saying the same thing; a query containing one also looks for the others
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("失败", "未成功", "不成功", "出错", "报错", "错误", "不了", "不上"),
    ("登录", "登陆", "登入", "登不上", "进不去", "无法登录"),
    ("忘记", "忘了", "找回", "重置", "记不得"),
    ("密码", "口令"),
    ("锁定", "锁住", "被锁", "冻结"),
    ("账户", "账号", "帐号", "帐户", "用户名"),
    ("不存在", "找不到", "没有这个", "查无"),
    ("开错", "开具错误", "填错", "写错", "有误", "错了"),
    ("作废", "废票", "撤销"),
    ("红字", "红冲", "冲红", "负数发票"),
    ("查询不到", "查不到", "找不到", "搜不到", "看不到", "没有显示"),
    ("打印", "打出来", "套打"),
    ("纸张", "纸", "票面", "页面大小"),
    ("不符", "不对", "对不上", "偏移", "错位", "偏了"),
    ("中断", "断了", "断网", "卡住", "没反应", "停止"),
    ("清卡", "反写", "解锁设备"),
    ("抄报", "汇总上传", "报税"),
    ("申报", "报税"),
    ("截止", "锁死", "到期", "过期"),
    ("限额", "额度", "上限"),
    ("授信", "信用额度"),
    ("离线", "断网开票", "脱机"),
    ("查验", "验真", "验证真伪", "核验"),
    ("次数", "次", "多次"),
    ("超过", "超出", "超了", "太多"),
    ("开具", "开票", "开发票"),
    ("进项", "收到的发票", "供应商发票"),
    ("报销", "报账"),
    ("两步验证", "动态口令", "验证码", "身份验证器", "2fa"),
    ("专票", "专用发票"),
    ("普票", "普通发票"),
    ("数电", "全电", "数电票"),
    ("客服", "人工", "工单", "联系"),
)

_WORD = re.compile(r"[0-9a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def normalise(text: str) -> str:
    """Full-width letters and digits as ASCII (ＯＦＤ → ofd), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def terms(text: str) -> list[str]:
    """The index terms of ``text``: each run of Chinese characters as its bigrams (a single
    character stands for itself), each Latin word or number whole."""
    text = normalise(text)
    found = _WORD.findall(text)
    for run in _HAN.findall(text):
        if len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


def _alternatives(query: str) -> list[str]:
    """The other ways of saying what ``query`` says, for each group of synonyms it touches."""
    query = normalise(query)
    extra: list[str] = []
    for group in SYNONYMS:
        if any(word in query for word in group):
            extra.extend(word for word in group if word not in query)
    return extra


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    body: str


@dataclass(frozen=True)
class Hit:
    key: str
    score: float


class Index:
    """BM25 over the bigrams of a set of documents (built once, asked many times)."""

    K1 = 1.2
    B = 0.75
    TITLE_WEIGHT = 2
    TITLE_BONUS = 1.0
    ALTERNATIVE_WEIGHT = 0.5

    def __init__(self, documents: Iterable[Document]) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.titles: dict[str, set[str]] = {}
        for document in documents:
            self.titles[document.key] = set(terms(document.title))
            counted = Counter(terms(document.body))
            for term in terms(document.title):
                counted[term] += self.TITLE_WEIGHT
            self.counts[document.key] = counted
        self.lengths = {key: sum(c.values()) for key, c in self.counts.items()}
        self.average = (sum(self.lengths.values()) / len(self.lengths)) if self.lengths else 0.0
        self.frequency: Counter[str] = Counter()
        for counted in self.counts.values():
            self.frequency.update(counted.keys())

    def _idf(self, term: str) -> float:
        n, having = len(self.counts), self.frequency.get(term, 0)
        return math.log(1 + (n - having + 0.5) / (having + 0.5))

    def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        """The documents that share a term with ``query``, best first (ties by key)."""
        wanted: dict[str, float] = {}
        for term in terms(query):
            wanted[term] = 1.0
        for alternative in _alternatives(query):
            for term in terms(alternative):
                wanted[term] = max(wanted.get(term, 0.0), self.ALTERNATIVE_WEIGHT)
        hits = []
        for key, counted in self.counts.items():
            score = 0.0
            norm = self.K1 * (1 - self.B + self.B * self.lengths[key] / (self.average or 1))
            for term, weight in wanted.items():
                tf = counted.get(term, 0)
                if tf:
                    idf = self._idf(term)
                    score += weight * idf * tf * (self.K1 + 1) / (tf + norm)
                    if term in self.titles[key]:
                        score += weight * idf * self.TITLE_BONUS
            if score > 0:
                hits.append(Hit(key, score))
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits[:limit]


def excerpt(body: str, query: str, *, width: int = 80) -> str:
    """A piece of ``body`` around the first place a term of ``query`` appears (else its start),
    on one line."""
    flat = " ".join(body.split())
    lowered = normalise(flat)
    places: Sequence[int] = [p for p in (lowered.find(t) for t in terms(query)) if p >= 0]
    start = max(0, min(places) - width // 4) if places else 0
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")
