/*
 * The .rnn language.
 *
 * The syntax is deliberately small and uniform: a file holds an optional package
 * declaration and any number of models; a model is a list of statements, and every
 * statement is a keyword followed by words and numbers and ended by ';':
 *
 *     package com.example.text;
 *     model CharLstm {
 *         input 65 one_hot;
 *         lstm 128 forget_bias 1.0;
 *         output 65 softmax;
 *         many_to_many steps 25;
 *     }
 *
 * What each statement means (which words it takes, which values are legal) is decided by
 * the validator, not here. That keeps the grammar stable as the language grows, and lets
 * the validator say "unknown cell type 'lstn'; did you mean 'lstm'?" instead of a parser's
 * "mismatched input".
 */
parser grammar RnnParser;

options { tokenVocab = RnnLexer; }

specFile
    : packageDecl? modelDecl* EOF
    ;

packageDecl
    : PACKAGE qualifiedName SEMI
    ;

qualifiedName
    : IDENT (DOT IDENT)*
    ;

modelDecl
    : MODEL name=IDENT LBRACE statement* RBRACE
    ;

statement
    : keyword=IDENT argument* SEMI
    ;

argument
    : IDENT     # wordArgument
    | NUMBER    # numberArgument
    | STRING    # stringArgument
    ;
